import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfigFromEnv } from '#local/local-config';
import { startLocalRuntime, type LocalFaults, type LocalRuntime } from '#local/runtime';

export interface TestService {
  runtime: LocalRuntime;
  dataDir: string;
  /** Calls the service's HTTP API with the admin key. */
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  setClock(iso: string): Promise<void>;
  tick(): Promise<{ due: number; enqueued: number }>;
  drain(): Promise<{ delivered: number; failed: number; pending: number; dlq: number }>;
  /** Stops the runtime; the data stays for a restart unless `removeData`. */
  stop(options?: { removeData?: boolean }): Promise<void>;
  /** Stops and starts again on the same data, as after a crash or a deploy. */
  restart(): Promise<TestService>;
}

/**
 * The local runtime in this process, on a fresh DATA_DIR, with a clock that only moves when
 * the test says so (the timer's period is a simulated year, so passes run only on tick/jump).
 */
export async function startTestService(options: {
  clockStart: string;
  webhookUrl?: string;
  dataDir?: string;
  extraEnv?: Record<string, string>;
  faults?: LocalFaults;
}): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'occasions-e2e-'));
  const config = localConfigFromEnv({
    PORT: '0',
    DATA_DIR: dataDir,
    CLOCK_START: options.clockStart,
    CLOCK_RATE: '1',
    TICK_SECONDS: String(365 * 86_400),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'CRITICAL',
    ADMIN_API_KEY: 'test-admin-key',
    WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ...(options.webhookUrl ? { WEBHOOK_URL: options.webhookUrl } : {}),
    ...options.extraEnv,
  });
  const runtime = await startLocalRuntime(config, options.faults ? { faults: options.faults } : {});

  const api: TestService['api'] = async (method, path, body) => {
    const response = await fetch(`${runtime.url}${path}`, {
      method,
      headers: {
        'x-api-key': runtime.adminApiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: response.headers,
    };
  };

  const service: TestService = {
    runtime,
    dataDir,
    api,
    setClock: async (iso) => {
      const { status } = await api('POST', '/_local/clock', { now: iso });
      if (status !== 200) throw new Error(`clock refused ${iso}: ${status}`);
    },
    tick: async () => (await api('POST', '/_local/tick')).body as { due: number; enqueued: number },
    drain: async () =>
      (await api('POST', '/_local/drain', { timeoutSeconds: 20 })).body as Awaited<
        ReturnType<TestService['drain']>
      >,
    stop: async ({ removeData = true } = {}) => {
      await runtime.stop();
      if (removeData) rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await runtime.stop();
      return startTestService({
        ...options,
        dataDir,
        clockStart: new Date(runtime.clock.now()).toISOString(),
      });
    },
  };
  return service;
}
