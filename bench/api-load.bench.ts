import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfigFromEnv } from '#local/local-config';
import { startLocalRuntime } from '#local/runtime';
import { log, round } from './support/stats';
import { BENCH_NOW_ISO } from './support/users';

export interface ApiLoadRun {
  route: string;
  /** Arrival rate asked of autocannon (`overallRate`), requests per second. */
  rate: number;
  seconds: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** (connection errors + timeouts + non-2xx) / requests sent. */
  errorRate: number;
  non2xx: number;
  errors: number;
  /** Answers by status code (429 = the API's own rate limit, 50/s per key by default). */
  statusCodes: Record<string, number>;
}

const ADMIN_KEY = 'bench-admin-key';

const profile = (index: number): string =>
  JSON.stringify({
    firstName: `Load${index}`,
    lastName: 'Test',
    birthday: `19${70 + (index % 30)}-0${1 + (index % 9)}-1${index % 10}`,
    timezone: ['Europe/London', 'Asia/Kolkata', 'America/New_York'][index % 3],
  });

/**
 * The admin API under a fixed arrival rate (autocannon `overallRate`), on a local runtime started
 * in this process (on disk, as `npm start`): `GET /v1/users/{id}` over users created first, and
 * `POST /v1/users`. autocannon sends from this process too, so it shares the CPU with the server.
 * The rates stay under the API's per-key limit (API_RATE_LIMIT, 50/s, as the deployed stage):
 * above it the API answers 429 by design, which would be counted as errors here.
 */
export async function benchApiLoad(options: {
  runs: number;
  seconds: number;
  getRate: number;
  postRate: number;
}): Promise<ApiLoadRun[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'occasions-bench-api-'));
  const runtime = await startLocalRuntime(
    localConfigFromEnv({
      PORT: '0',
      DATA_DIR: dataDir,
      CLOCK_START: BENCH_NOW_ISO,
      TICK_SECONDS: String(365 * 86_400),
      LOG_LEVEL: 'ERROR',
      ADMIN_API_KEY: ADMIN_KEY,
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  );
  try {
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      const response = await fetch(`${runtime.url}/v1/users`, {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: profile(i),
      });
      if (response.status !== 201) throw new Error(`creating a user answered ${response.status}`);
      ids.push(((await response.json()) as { id: string }).id);
    }
    const results: ApiLoadRun[] = [];
    let created = 100;
    for (let run = 0; run < options.runs; run += 1) {
      let next = 0;
      results.push(
        await load('GET /v1/users/{id}', options.getRate, options.seconds, runtime.url, {
          method: 'GET',
          setupRequest: (request) => {
            next = (next + 1) % ids.length;
            return { ...request, path: `/v1/users/${ids[next] ?? ''}` };
          },
        }),
      );
      results.push(
        await load('POST /v1/users', options.postRate, options.seconds, runtime.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            created += 1;
            return { ...request, path: '/v1/users', body: profile(created) };
          },
        }),
      );
    }
    return results;
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function load(
  route: string,
  rate: number,
  seconds: number,
  url: string,
  request: autocannon.Request,
): Promise<ApiLoadRun> {
  const result = await autocannon({
    url,
    connections: 10,
    overallRate: rate,
    duration: seconds,
    headers: { 'x-api-key': ADMIN_KEY },
    requests: [request],
  });
  const sent = result.requests.sent;
  const run: ApiLoadRun = {
    route,
    rate,
    seconds,
    requests: sent,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errorRate: sent > 0 ? (result.errors + result.timeouts + result.non2xx) / sent : 1,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
    ),
  };
  log(
    `api load: ${route} at ${rate}/s: p99 ${run.p99Ms} ms, errors ${round(run.errorRate * 100, 3)} % ` +
      JSON.stringify(run.statusCodes),
  );
  return run;
}
