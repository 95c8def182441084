import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfigFromEnv } from '#local/local-config';
import type { DrainResult } from '#local/local-routes';
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
  drain(): Promise<DrainResult>;
  /**
   * Drains until nothing is left on the main queue, delayed messages included. A drain returns
   * once no message is visible or in flight (CONTRACT section 2), so a retry or a deferral the
   * worker delayed is still `pending` then (a POST that ended without an answer is retried 5 s
   * later, for one): the clock moves `stepMs` on, which makes it due and runs the timer's pass,
   * and the queue is drained again, at most `maxDrains` drains in all. Answers the last drain,
   * for the caller to assert: its `pending` is 0 unless the drains ran out.
   */
  settle(options?: { stepMs?: number; maxDrains?: number }): Promise<DrainResult>;
  /** Stops the runtime; the data stays for a restart unless `removeData`. */
  stop(options?: { removeData?: boolean }): Promise<void>;
  /** Stops and starts again on the same data, as after a crash or a deploy. */
  restart(): Promise<TestService>;
}

/**
 * settle's clock step: longer than the worker delays a message by (a first or second retry,
 * 5 s or 5 min + 20 %; a 429's 30 s + 20 %; a lease's 41 s; a tripped circuit's 60 s), and than
 * the queue's visibility timeout at CLOCK_RATE 1 (6 min), after which a message whose handling
 * failed comes back.
 */
const SETTLE_STEP_MS = 10 * 60_000;
const SETTLE_MAX_DRAINS = 5;

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
    drain: async () => (await api('POST', '/_local/drain', { timeoutSeconds: 20 })).body as DrainResult,
    settle: async ({ stepMs = SETTLE_STEP_MS, maxDrains = SETTLE_MAX_DRAINS } = {}) => {
      let drained = await service.drain();
      for (let drains = 1; drained.pending > 0 && drains < maxDrains; drains += 1) {
        await service.setClock(new Date(runtime.clock.now() + stepMs).toISOString());
        drained = await service.drain();
      }
      return drained;
    },
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
