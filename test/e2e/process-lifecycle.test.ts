import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isValidWebhookSecret } from '#adapters/webhook/signature';
import { systemClock } from '#commons/clock';
import {
  CHILD_ADMIN_API_KEY as ADMIN_API_KEY,
  CHILD_WEBHOOK_SECRET as WEBHOOK_SECRET,
  exitWithin,
  startChildRuntime,
  type ChildRuntime as Running,
  type Exit,
} from '../support/child-runtime';
import { TestReceiver } from '../support/receiver';

/** Real-time bound on a clean stop. */
const STOP_TIMEOUT_MS = 10_000;

describe('the npm start process (local/main.ts) across stops, kills and restarts', () => {
  const children = new Set<Running>();
  const dataDirs: string[] = [];
  let receiver: TestReceiver;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
  });

  afterEach(async () => {
    for (const running of children) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      await running.exited;
    }
    children.clear();
    await receiver.stop();
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const newDataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'occasions-lifecycle-'));
    dataDirs.push(dir);
    return dir;
  };

  /** `npm start`'s process with the contract's variables only as given (credentials too). */
  const start = async (variables: Record<string, string>): Promise<Running> => {
    const running = await startChildRuntime(variables, { generatedCredentials: true });
    children.add(running);
    return running;
  };

  /** Sends a signal and waits for the exit, with how long it took in real time. */
  const stop = async (running: Running, signal: NodeJS.Signals): Promise<Exit & { tookMs: number }> => {
    const startedAt = systemClock.now();
    running.child.kill(signal);
    const exit = await exitWithin(running, STOP_TIMEOUT_MS);
    return { ...exit, tookMs: systemClock.now() - startedAt };
  };

  const api = (running: Running, method: string, path: string, body?: unknown, apiKey = ADMIN_API_KEY) =>
    running.api(method, path, body, apiKey);

  const clockOf = async (running: Running): Promise<number> => {
    const { status, body } = await api(running, 'GET', '/_local/clock');
    expect(status).toBe(200);
    return Date.parse((body as { now: string }).now);
  };

  /** Jumps the clock, runs one scheduler pass and waits until the main queue has settled. */
  const runAt = async (running: Running, iso: string) => {
    expect((await api(running, 'POST', '/_local/clock', { now: iso })).status).toBe(200);
    expect((await api(running, 'POST', '/_local/tick')).status).toBe(200);
    const { status, body } = await api(running, 'POST', '/_local/drain', { timeoutSeconds: 20 });
    expect(status).toBe(200);
    return body as { delivered: number; failed: number; pending: number; dlq: number };
  };

  const createUser = async (running: Running, birthday: string): Promise<string> => {
    const { status, body } = await api(running, 'POST', '/v1/users', {
      firstName: 'John',
      lastName: 'Doe',
      birthday,
      timezone: 'UTC',
    });
    expect(status).toBe(201);
    return (body as { id: string }).id;
  };

  it('given a running service, when it gets SIGTERM, then it exits 0 promptly and a restart keeps the users and the clock', async () => {
    const dataDir = newDataDir();
    const variables = {
      DATA_DIR: dataDir,
      CLOCK_START: '2027-01-01T00:00:00Z',
      ADMIN_API_KEY,
      WEBHOOK_SECRET,
      WEBHOOK_URL: receiver.url,
    };
    const first = await start(variables);
    const userId = await createUser(first, '1980-05-05');
    // Well past CLOCK_START, so a restart that forgot the clock would go backwards.
    expect((await api(first, 'POST', '/_local/clock', { now: '2027-03-01T00:00:00Z' })).status).toBe(200);
    const before = await clockOf(first);

    const exit = await stop(first, 'SIGTERM');

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.tookMs).toBeLessThan(STOP_TIMEOUT_MS);
    expect(first.output()).toContain('SIGTERM: stopping');

    const second = await start(variables);
    const { status, body } = await api(second, 'GET', '/v1/users');
    expect(status).toBe(200);
    expect((body as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([userId]);
    expect(await clockOf(second)).toBeGreaterThanOrEqual(before);
    expect(await stop(second, 'SIGTERM')).toMatchObject({ code: 0 });
  });

  it('given a retry pending, when the process is killed and restarted, then the webhook is accepted exactly once under one webhook-id', async () => {
    const dataDir = newDataDir();
    const variables = {
      DATA_DIR: dataDir,
      CLOCK_START: '2027-12-01T00:00:00Z',
      ADMIN_API_KEY,
      WEBHOOK_SECRET,
      WEBHOOK_URL: receiver.url,
    };
    const first = await start(variables);
    const userId = await createUser(first, '1960-12-12'); // due 2027-12-12T09:00Z
    receiver.replyWith({ status: 503 });
    const failing = await runAt(first, '2027-12-12T09:00:00Z');
    expect(failing).toMatchObject({ delivered: 0, failed: 0, dlq: 0 });
    expect(failing.pending).toBeGreaterThanOrEqual(1);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
    expect(receiver.accepted()).toHaveLength(0);

    expect(await stop(first, 'SIGKILL')).toMatchObject({ signal: 'SIGKILL' });

    const second = await start(variables);
    receiver.replyWith({ status: 204 });
    const result = await runAt(second, '2027-12-12T10:00:00Z');

    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.accepted(userId)).toHaveLength(1);
    expect(result).toMatchObject({ delivered: 1, dlq: 0, pending: 0 });
    expect(new Set(receiver.requests.map((request) => request.webhookId)).size).toBe(1);
    expect(await stop(second, 'SIGTERM')).toMatchObject({ code: 0 });
  });

  it('given no credentials in the environment, then the first start prints generated ones and the next start reuses them silently', async () => {
    const dataDir = newDataDir();
    const variables = { DATA_DIR: dataDir, CLOCK_START: '2027-01-01T00:00:00Z' };

    const first = await start(variables);
    const printed = (name: string): string | undefined =>
      new RegExp(`^\\s*${name}=(\\S+)$`, 'm').exec(first.output())?.[1];
    const printedKey = await vi.waitFor(() => {
      const key = printed('ADMIN_API_KEY');
      expect(key).toBeDefined();
      return key!;
    });
    expect((await api(first, 'GET', '/v1/users', undefined, printedKey)).status).toBe(200);
    expect((await stop(first, 'SIGTERM')).code).toBe(0);
    expect(isValidWebhookSecret(printed('WEBHOOK_SECRET'))).toBe(true);

    const second = await start(variables);
    expect((await api(second, 'GET', '/v1/users', undefined, printedKey)).status).toBe(200);
    expect((await api(second, 'GET', '/v1/users', undefined, `${printedKey}-wrong`)).status).toBe(401);
    expect((await stop(second, 'SIGTERM')).code).toBe(0);
    expect(second.output()).toContain('Occasions is running at');
    expect(second.output()).not.toContain('ADMIN_API_KEY=');
    expect(second.output()).not.toContain('WEBHOOK_SECRET=');
  });
});
