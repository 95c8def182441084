import { existsSync, mkdirSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HASH } from '#api/console/console-assets.generated';
import { consoleAssetNames } from '#api/console/console-paths';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/embedded-dynamodb';
import { startTestService, type TestService } from '../support/local-service';
import { TestReceiver } from '../support/receiver';

/*
 * The operations console (issue 7) in headless Chromium, against the local runtime in this
 * process and a webhook receiver the test controls: a notification fails into the DLQ, an
 * operator finds it, reads its attempts, redrives it and sees it delivered. Debian's chromium
 * only (never a downloaded browser); screenshots of each step go to test-results/console/.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = new URL('../../test-results/console/', import.meta.url);
const README_SCREENSHOT = new URL('../../docs/images/console.png', import.meta.url);
const ADMIN_KEY = 'test-admin-key';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An expression's value in the page; a string, since the tests' tsconfig has no DOM types. */
const inPage = (page: Page, expression: string): Promise<unknown> => page.evaluate(expression);

/**
 * API Gateway's stage in front of the service: `/prod/…` is forwarded as `/…`, the rest is a
 * 403 (as API Gateway answers outside its stage), so a console that ignored its base path fails.
 */
async function startStagePrefix(
  target: string,
  stage: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith(`/${stage}/`)) {
      res.writeHead(403).end();
      return;
    }
    const upstream = request(
      `${target}${path.slice(stage.length + 1)}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stage}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && !process.env.CI) {
  console.warn(
    `test/e2e/console.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium). In CI it fails instead.`,
  );
}

describe.skipIf(chromiumMissing && !process.env.CI)('the operations console in a browser', () => {
  let receiver: TestReceiver;
  let service: TestService;
  let browser: Browser;
  let viewerKey: string;
  let userId: string;
  /** Content-Security-Policy violations the current test's pages reported: afterEach wants none. */
  const cspViolations: string[] = [];

  /** A new browser context's page at `url`; `beforeLoad` sees it before anything is requested. */
  const newPage = async (
    url = `${service.runtime.url}/console`,
    beforeLoad?: (page: Page) => void,
  ): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    beforeLoad?.(page);
    await page.goto(url);
    return page;
  };
  const screenshot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
  };
  const signIn = async (page: Page, key: string): Promise<void> => {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const statusText = (page: Page) => page.getByRole('status').innerText();

  beforeAll(async () => {
    if (chromiumMissing)
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    [receiver, browser] = await Promise.all([
      new TestReceiver().start(),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    service = await startTestService({ clockStart: '2027-06-01T00:00:00Z', webhookUrl: receiver.url });

    // Given a birthday whose webhook answers 400: a permanent failure, straight to the DLQ.
    const created = await service.api('POST', '/v1/users', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      birthday: '1990-06-15',
      timezone: 'UTC',
    });
    userId = (created.body as { id: string }).id;
    viewerKey = (
      (await service.api('POST', '/v1/api-keys', { name: 'on-call', role: 'viewer' })).body as { key: string }
    ).key;
    receiver.replyWith({ status: 400 });
    await service.setClock('2027-06-15T09:00:00Z');
    await service.tick();
    expect(await service.drain()).toMatchObject({ failed: 1, dlq: 1 });
  }, 60_000);

  afterEach(() => {
    // Every test's pages, whichever tests run: none may break the Content-Security-Policy.
    const reported = cspViolations.splice(0);
    expect(reported, 'Content-Security-Policy violations').toEqual([]);
  });

  afterAll(async () => {
    // beforeAll may have failed part-way (no chromium in CI): stop only what was started.
    await (browser as Browser | undefined)?.close();
    await (service as TestService | undefined)?.stop();
    await (receiver as TestReceiver | undefined)?.stop();
  });

  it('given a wrong key, when signing in, then the console says the key was not accepted and stays signed out', async () => {
    const page = await newPage();
    await signIn(page, 'not-a-valid-key');

    await page.getByText('This API key was not accepted (401)').waitFor();
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);
    await screenshot(page, '01-wrong-key');
    await page.context().close();
  });

  it('given only a keyboard, when tabbing to the key, typing it and pressing Enter, then the console signs in', async () => {
    const page = await newPage();

    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement?.id')).toBe('api-key');
    await page.keyboard.type(ADMIN_KEY);
    await page.keyboard.press('Enter');

    await page.getByText('Signed in with the bootstrap admin key').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement?.textContent')).toBe('Skip to content');
    await page.context().close();
  });

  it('given a viewer key, then the dead letter is visible but cannot be redriven or deleted', async () => {
    const page = await newPage();
    await signIn(page, viewerKey);
    await page.getByText('viewer: read-only').waitFor();

    await page.getByRole('button', { name: 'Dead letters' }).click();
    await page.getByRole('cell', { name: 'HTTP 400' }).first().waitFor();
    expect(await page.getByRole('button', { name: /^Redrive selected/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Redrive all…' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /^Delete message/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /^Select message/ }).isDisabled()).toBe(true);
    await page.getByText('Your key has the viewer role').waitFor();
    await screenshot(page, '02-viewer-dlq');
    await page.context().close();
  });

  it('given the admin key, when the failed notification is found, redriven and drained, then the console shows it delivered', async () => {
    const page = await newPage();
    const posts: { url: string; idempotencyKey: string | undefined }[] = [];
    page.on('request', (sent) => {
      if (sent.method() === 'POST') {
        posts.push({ url: sent.url(), idempotencyKey: sent.headers()['idempotency-key'] });
      }
    });

    // Sign in: the key is kept in this tab's session only.
    await signIn(page, ADMIN_KEY);
    await page.getByText('Signed in with the bootstrap admin key').first().waitFor();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await inPage(page, "sessionStorage.getItem('occasions-console.session')")).toContain(ADMIN_KEY);
    expect(await inPage(page, 'localStorage.length')).toBe(0);
    expect(page.url()).not.toContain(ADMIN_KEY);
    await screenshot(page, '03-live');

    // Search: the failed notification of this user.
    await page.getByRole('button', { name: 'Notifications' }).click();
    await page.getByLabel('User id').fill(userId);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: userId });
    await row.getByText('failed').waitFor();
    await screenshot(page, '04-search');

    // Its attempts: one POST, answered 400, a permanent failure.
    await row.getByRole('button', { name: /^Attempts of the birthday notification/ }).click();
    const timeline = page.getByRole('list', { name: 'Attempts timeline' });
    await timeline.getByText('#1 failed permanently').waitFor();
    expect(await timeline.innerText()).toContain('HTTP 400');
    await screenshot(page, '05-attempts');

    // The DLQ: select the message and redrive it, with the receiver fixed.
    receiver.replyWith({ status: 204 });
    await page.getByRole('button', { name: 'Dead letters' }).click();
    await page.getByRole('checkbox', { name: /^Select message/ }).check();
    await page.getByRole('button', { name: 'Redrive selected (1)' }).click();
    await page.getByRole('status').getByText('1 message redriven to the notifications queue').waitFor();
    await page.getByText('The DLQ is empty.').waitFor();
    await screenshot(page, '06-redriven');
    const redrive = posts.find((post) => post.url.endsWith('/v1/dlq/redrive'));
    expect(redrive?.idempotencyKey).toMatch(UUID);

    // The worker delivers it (the test drains the queue, as the clock would).
    expect(await service.drain()).toMatchObject({ delivered: 1, dlq: 0 });
    expect(receiver.accepted(userId)).toHaveLength(1);

    // Back in the console: delivered, on the second attempt.
    await page.getByRole('button', { name: 'Notifications' }).click();
    await page.getByLabel('User id').fill(userId);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const deliveredRow = page.getByRole('row').filter({ hasText: userId });
    await deliveredRow.getByText('delivered').waitFor();
    await deliveredRow.getByRole('button', { name: /^Attempts of/ }).click();
    await timeline.getByText('#2 delivered').waitFor();
    expect(await timeline.innerText()).toContain('HTTP 204');
    await screenshot(page, '07-delivered');

    // Live again, for the record (and the README's picture).
    await page.getByRole('button', { name: 'Live' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await screenshot(page, '08-live-after');
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(new URL('.', README_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: README_SCREENSHOT.pathname });
    }

    // Sign out: the key is forgotten.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await statusText(page)).toContain('Signed out');
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);

    await page.context().close();
  }, 30_000);

  it('given a window, when its dry run is counted and confirmed (the first answer lost), then the repeat is the same replay, watched until done', async () => {
    const page = await newPage();
    /** Idempotency-Key and whether the API replayed its first answer, per POST /v1/replays that was not a dry run. */
    const starts: { key: string | undefined; replayed: string | undefined }[] = [];
    // The first start reaches the API, which starts the job, but its answer is lost on the way back.
    await page.route('**/v1/replays', async (route) => {
      const sent = route.request();
      if ((sent.postDataJSON() as { dryRun?: boolean }).dryRun) return route.continue();
      const answer = await route.fetch();
      starts.push({
        key: sent.headers()['idempotency-key'],
        replayed: answer.headers()['idempotent-replayed'],
      });
      if (starts.length === 1) return route.abort('connectionreset');
      return route.fulfill({ response: answer });
    });
    await signIn(page, ADMIN_KEY);
    await page.getByRole('button', { name: 'Replays' }).click();

    await page.getByLabel('Due from (UTC)').fill('2027-06-15T00:00');
    await page.getByLabel('Due before (UTC)').fill('2027-06-16T00:00');
    await page.getByLabel('User id (optional)').fill(userId);
    await page.getByLabel('delivered', { exact: true }).check();
    await page.getByLabel('force (send delivered ones again)').check();
    await page.getByRole('button', { name: 'Count (dry run)' }).click();
    await page.getByText('Dry run: 1 of 1 notifications would be sent again.').waitFor();
    await screenshot(page, '09-replay-dry-run');

    const send = page.getByRole('button', { name: 'Send 1 notification again' });
    await send.click();
    await page.getByRole('alert').getByText('The API could not be reached').waitFor();
    // The operator repeats the action: the same key, so the API answers with what it did.
    await send.click();
    await page.getByText('Status: done').waitFor();
    await screenshot(page, '10-replay-done');
    expect(starts).toHaveLength(2);
    expect(starts[0]?.key).toMatch(UUID);
    expect(starts[1]).toEqual({ key: starts[0]?.key, replayed: 'true' });
    expect(await service.settle()).toMatchObject({ dlq: 0, pending: 0 });
    expect(receiver.accepted(userId)).toHaveLength(2);
    await page.context().close();
  });

  it('given an open circuit, when its reset is cancelled with Escape and then confirmed, then it is closed', async () => {
    const endpoint = new URL(receiver.url).origin;
    const opened = await service.api('POST', `/v1/circuits/${encodeURIComponent(endpoint)}/open`, {
      durationSeconds: 3600,
    });
    expect(opened.status).toBe(200);
    const page = await newPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole('button', { name: 'Circuits' }).click();
    const row = page.getByRole('row').filter({ hasText: endpoint });
    // The badge's symbol is hidden from assistive technology; its class names the state.
    await row.locator('.badge-circuit-open').waitFor();

    const reset = row.getByRole('button', { name: `Reset the circuit of ${endpoint}…` });
    await reset.click();
    const dialog = page.getByRole('dialog', { name: 'Reset this circuit?' });
    await dialog.waitFor();
    await screenshot(page, '11-circuit-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened the dialog once the dialog's unmount has run,
    // which may be a render after it left the DOM: poll for it (bounded), do not sample once.
    await expect
      .poll(() => inPage(page, "document.activeElement?.getAttribute('aria-label')"), { timeout: 5_000 })
      .toBe(`Reset the circuit of ${endpoint}…`);

    await reset.click();
    await dialog.getByRole('button', { name: 'Reset (close) circuit' }).click();
    await page.getByText(`The circuit of ${endpoint} is closed`).waitFor();
    await row.locator('.badge-circuit-closed').waitFor();
    await screenshot(page, '12-circuit-closed');
    await page.context().close();
  });

  it.each(['/console', '/console/'])(
    'given a stage prefix as behind API Gateway, when %s is opened under it, then the assets and the API are found under the stage',
    async (path) => {
      const stage = await startStagePrefix(service.runtime.url, 'prod');
      try {
        const paths: string[] = [];
        const page = await newPage(`${stage.url}${path}`, (opened) => {
          opened.on('request', (sent) => paths.push(new URL(sent.url()).pathname));
        });

        await signIn(page, ADMIN_KEY);
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        // The stylesheet applied: the primary button has the console's blue.
        expect(
          await inPage(
            page,
            "getComputedStyle(document.querySelector('.sections button')).borderBottomColor",
          ),
        ).toBe('rgb(29, 78, 216)');
        const assets = consoleAssetNames(CONSOLE_HASH);
        expect(paths).toEqual(
          expect.arrayContaining([
            `/prod${path}`,
            `/prod/console/${assets.js}`,
            `/prod/console/${assets.css}`,
            '/prod/v1/metrics',
          ]),
        );
        expect(paths.filter((requested) => !requested.startsWith('/prod/'))).toEqual([]);
        await page.context().close();
      } finally {
        await stage.stop();
      }
    },
  );

  describe('given 21 more failed notifications', () => {
    const FAILED = 21;
    const users: string[] = [];

    beforeAll(async () => {
      receiver.replyWith({ status: 400 });
      for (let index = 0; index < FAILED; index += 1) {
        const created = await service.api('POST', '/v1/users', {
          firstName: 'Grace',
          lastName: `Hopper ${index}`,
          birthday: '1991-06-16',
          timezone: 'UTC',
        });
        users.push((created.body as { id: string }).id);
      }
      await service.setClock('2027-06-16T09:00:00Z');
      await service.tick();
      // Not one drain: a POST on a pooled connection the receiver closes at that moment (its 5 s
      // keep-alive timeout) ends without an answer, and its retry waits delayed on the queue.
      expect(await service.settle()).toMatchObject({ dlq: FAILED, pending: 0 });
    }, 60_000);

    it('given more than a page of results, when a filter is changed and Load more is pressed, then the next page is of the search shown', async () => {
      const searches: URLSearchParams[] = [];
      const page = await newPage(undefined, (opened) => {
        opened.on('request', (sent) => {
          const url = new URL(sent.url());
          if (url.pathname === '/v1/notifications') searches.push(url.searchParams);
        });
      });
      await signIn(page, ADMIN_KEY);
      await page.getByRole('button', { name: 'Notifications' }).click();
      await page.getByLabel('Status').selectOption('failed');
      await page.getByLabel('Due from (UTC)').fill('2027-06-16T00:00');
      await page.getByLabel('Due before (UTC)').fill('2027-06-17T00:00');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('heading', { name: 'Results (20, newest due first)' }).waitFor();

      // A changed form does not change what "Load more" continues.
      await page.getByLabel('Status').selectOption('delivered');
      await page.getByLabel('Due before (UTC)').fill('2027-06-18T00:00');
      await page.getByText('The filters changed after this search').waitFor();
      // A page may be short, even empty, and still have a next one.
      const all = page.getByRole('heading', { name: `Results (${FAILED}, newest due first)` });
      const loadMore = page.getByRole('button', { name: 'Load more' });
      for (let more = 1; more <= 5 && !(await all.isVisible()); more += 1) {
        await Promise.all([
          page.waitForResponse((answer) => new URL(answer.url()).pathname === '/v1/notifications'),
          loadMore.click(),
        ]);
        await page.getByRole('button', { name: 'Load more', disabled: false }).or(all).first().waitFor();
      }
      await all.waitFor();
      await screenshot(page, '13-load-more');

      const [first, ...more] = searches.map((query) => Object.fromEntries(query));
      expect(first).toEqual({
        status: 'failed',
        from: '2027-06-16T00:00:00.000Z',
        to: '2027-06-17T00:00:00.000Z',
      });
      expect(more.length).toBeGreaterThan(0);
      for (const next of more) expect(next).toEqual({ ...first, cursor: expect.any(String) as unknown });
      expect(await page.getByRole('row').filter({ hasText: 'delivered' }).count()).toBe(0);
      await page.context().close();
    });

    it('given dead letters, one of them unreadable, when all are redriven, then the console calls again while some remain, showing its progress, and reports the total', async () => {
      // A message that is no notification stays in the DLQ: after the first call some remain, so
      // the console calls again; that call redrives nothing and sees nothing new, so it stops.
      const sqs = new SQSClient({
        endpoint: service.runtime.endpoints.sqs,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      try {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: service.runtime.endpoints.deadLetterQueueUrl,
            MessageBody: '{"not":"a notification"}',
          }),
        );
      } finally {
        sqs.destroy();
      }
      receiver.replyWith({ status: 204 });
      const page = await newPage();
      /** The Idempotency-Key of each redrive call; the second call waits until the test lets it go. */
      const calls: (string | undefined)[] = [];
      let letSecondCallGo = (): void => undefined;
      const secondCallMayGo = new Promise<void>((resolve) => {
        letSecondCallGo = resolve;
      });
      await page.route('**/v1/dlq/redrive', async (route) => {
        calls.push(route.request().headers()['idempotency-key']);
        if (calls.length === 2) await secondCallMayGo;
        await route.continue();
      });
      await signIn(page, ADMIN_KEY);
      await page.getByRole('button', { name: 'Dead letters' }).click();
      await page.getByText(`About ${FAILED + 1} messages in the DLQ.`).waitFor();

      const redriveAll = page.getByRole('button', { name: 'Redrive all…' });
      await redriveAll.click();
      const dialog = page.getByRole('dialog', { name: 'Redrive every dead letter?' });
      await dialog.getByText(`Every message in the DLQ (about ${FAILED + 1})`).waitFor();
      await dialog.getByRole('button', { name: 'Redrive all' }).click();

      // After the first call: its progress, read out; no second "Redrive all" meanwhile.
      await page
        .getByText(`Call 1: ${FAILED} messages redriven so far; about 1 remain in the DLQ.`)
        .waitFor();
      expect(await redriveAll.isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Stop' }).isVisible()).toBe(true);
      await screenshot(page, '14-redrive-all-progress');
      letSecondCallGo();

      const total = `${FAILED} messages redriven to the notifications queue in 2 calls, 1 left in the DLQ; about 1 remain in the DLQ`;
      await page.getByRole('alert').getByText(total).waitFor();
      const results = page.getByRole('region', { name: 'Last redrive' });
      expect(await results.getByRole('paragraph').first().innerText()).toBe(`${total}.`);
      // What stayed in the DLQ comes first in the results.
      expect(await results.getByRole('row').nth(1).innerText()).toContain('not a notification message');
      expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
      await page.getByText('About 1 message in the DLQ.').waitFor();
      await screenshot(page, '15-redrive-all-done');
      expect(calls).toHaveLength(2);
      expect(new Set(calls).size).toBe(2);

      expect(await service.settle()).toMatchObject({ dlq: 1, pending: 0 });
      for (const user of users) expect(receiver.accepted(user)).toHaveLength(1);
      await page.context().close();
    }, 30_000);
  });
});
