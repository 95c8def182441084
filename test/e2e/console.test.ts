import { existsSync, mkdirSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  /** Content-Security-Policy violations the pages reported: there must be none. */
  const cspViolations: string[] = [];

  const newPage = async (url = `${service.runtime.url}/console`): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
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
    await page.getByText('1 message redriven to the notifications queue').waitFor();
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

  it('given a window, when its dry run is counted and confirmed, then the replay job is watched until done', async () => {
    const page = await newPage();
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

    await page.getByRole('button', { name: 'Send 1 notification again' }).click();
    await page.getByText('Status: done').waitFor();
    await screenshot(page, '10-replay-done');
    expect(await service.drain()).toMatchObject({ dlq: 0, pending: 0 });
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
    expect(await inPage(page, "document.activeElement?.getAttribute('aria-label')")).toBe(
      `Reset the circuit of ${endpoint}…`,
    );

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
        const page = await newPage(`${stage.url}${path}`);
        const paths: string[] = [];
        page.on('request', (sent) => paths.push(new URL(sent.url()).pathname));

        await signIn(page, ADMIN_KEY);
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        // The stylesheet applied: the primary button has the console's blue.
        expect(
          await inPage(
            page,
            "getComputedStyle(document.querySelector('.sections button')).borderBottomColor",
          ),
        ).toBe('rgb(29, 78, 216)');
        expect(paths.filter((requested) => !requested.startsWith('/prod/'))).toEqual([]);
        expect(paths).toContain('/prod/v1/metrics');
        await page.context().close();
      } finally {
        await stage.stop();
      }
    },
  );

  it('given every page the tests opened, then none broke the Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
