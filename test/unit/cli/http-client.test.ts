import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ExitCode, UnreachableError } from '../../../cli/errors';
import { ApiClient } from '../../../cli/http-client';
import { DEFAULT_RETRY_POLICY } from '../../../cli/retry';
import { scripted, startLoopback, TestClock, type Answer, type Loopback } from './loopback';

/*
 * ApiClient over real fetch against a loopback server that answers as scripted. Waits go to a
 * test clock: a Retry-After of 7 s is asserted, never waited.
 */

const KEY = 'occ_admin_s3cret-key';
const servers: Loopback[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: readonly Answer[], rest: Answer = { status: 200, body: { ok: true } }) {
  const server = await startLoopback(scripted(script, rest));
  servers.push(server);
  return server;
}

function clientOf(server: Loopback, clock = new TestClock(), wallClockMs = 0) {
  const retries: string[] = [];
  const client = new ApiClient({
    baseUrl: new URL(server.url),
    apiKey: KEY,
    userAgent: 'occasions-cli/test',
    timeoutMs: 10_000,
    retry: DEFAULT_RETRY_POLICY,
    sleep: clock.time.sleep,
    // The middle of the ±25 % jitter: backoffs are exactly 500, 1,000, 2,000 and 4,000 ms.
    random: () => 0.5,
    wallClockMs: () => wallClockMs,
    onRetry: (message) => retries.push(message),
  });
  return { client, clock, retries };
}

describe('ApiClient retries', () => {
  it('given 503 then 502 to a GET, then it retries with backoff and answers; the 5xx tries are uncertain', async () => {
    const server = await serve([{ status: 503 }, { status: 502 }]);
    const { client, clock, retries } = clientOf(server);
    const answer = await client.get<{ ok: boolean }>('/v1/dlq');
    expect(answer).toMatchObject({ status: 200, body: { ok: true }, attempts: 3, uncertainTries: 2 });
    expect(clock.sleeps).toEqual([500, 1_000]);
    expect(retries[0]).toBe('GET /v1/dlq: HTTP 503; retrying in 500 ms (1/4)');
  });

  it('given a connection dropped after the request arrived, then a POST with an Idempotency-Key is tried again', async () => {
    const server = await serve(['drop']);
    const { client } = clientOf(server);
    const answer = await client.post('/v1/dlq/redrive', { body: { all: true }, idempotencyKey: 'k1' });
    expect(answer).toMatchObject({ status: 200, attempts: 2, uncertainTries: 1 });
    expect(server.requests.map((request) => request.headers['idempotency-key'])).toEqual(['k1', 'k1']);
  });

  it('given a 500 to a POST without an Idempotency-Key, then it is not repeated (it may have been applied)', async () => {
    const server = await serve([{ status: 500, body: { title: 'Internal', detail: 'boom', status: 500 } }]);
    const { client } = clientOf(server);
    await expect(client.post('/v1/things', { body: {} })).rejects.toMatchObject({
      status: 500,
      exitCode: ExitCode.api,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('given 5xx past the retries, then the last answer is the error (exit 4) after 4 retries', async () => {
    const server = await serve([], { status: 504 });
    const { client, clock } = clientOf(server);
    await expect(client.get('/v1/circuits')).rejects.toBeInstanceOf(ApiError);
    expect(server.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('given a connection refused, then it fails at once as unreachable (exit 5)', async () => {
    const server = await serve([]);
    const { client, clock } = clientOf(server);
    await server.close();
    await expect(client.get('/v1/dlq')).rejects.toBeInstanceOf(UnreachableError);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('ApiClient on 429 and 409 "still running"', () => {
  it('given 429 with Retry-After in seconds, then it waits exactly that long, and the wait is no uncertain try', async () => {
    const server = await serve([{ status: 429, headers: { 'retry-after': '7' } }]);
    const { client, clock, retries } = clientOf(server);
    const answer = await client.post('/v1/users/bulk', { body: { items: [] }, idempotencyKey: 'k' });
    expect(answer).toMatchObject({ status: 200, attempts: 2, uncertainTries: 0 });
    expect(clock.sleeps).toEqual([7_000]);
    expect(retries).toEqual(['POST /v1/users/bulk: rate limited (429); waiting 7.0 s as asked']);
  });

  it('given 429 with Retry-After as an HTTP date, then the wait is counted from the wall clock', async () => {
    const server = await serve([
      { status: 429, headers: { 'retry-after': 'Tue, 15 Jun 2027 09:00:12 GMT' } },
    ]);
    const { client, clock } = clientOf(server, new TestClock(), Date.parse('2027-06-15T09:00:00Z'));
    await client.get('/v1/dlq');
    expect(clock.sleeps).toEqual([12_000]);
  });

  it('given 429 many times, then waits do not use up the retries, and stop after 20', async () => {
    const server = await serve([], { status: 429, headers: { 'retry-after': '1' } });
    const { client, clock } = clientOf(server);
    await expect(client.get('/v1/dlq')).rejects.toMatchObject({ status: 429 });
    expect(clock.sleeps).toHaveLength(DEFAULT_RETRY_POLICY.maxRateLimitWaits);
  });

  it('given 409 with Retry-After to an Idempotency-Key, then it waits for the earlier try, which is no try of its own', async () => {
    const server = await serve([
      { status: 409, headers: { 'retry-after': '1' } },
      { status: 409, headers: { 'retry-after': '1' } },
    ]);
    const { client, clock } = clientOf(server);
    const answer = await client.post('/v1/replays', { body: {}, idempotencyKey: 'k' });
    expect(answer).toMatchObject({ status: 200, attempts: 3, uncertainTries: 0 });
    expect(clock.sleeps).toEqual([1_000, 1_000]);
  });
});

describe('ApiClient and redirects', () => {
  it('given a 302 to another server, then it is not followed: the key never reaches the target', async () => {
    const target = await serve([]);
    const server = await serve([], { status: 302, headers: { location: `${target.url}/steal` } });
    const { client } = clientOf(server);
    const failure = await client.get('/v1/dlq').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 302, exitCode: ExitCode.api });
    expect((failure as ApiError).message).toContain(
      `a redirect to ${target.url}/steal; redirects are not followed`,
    );
    expect((failure as ApiError).message).not.toContain(KEY);
    expect(target.requests).toEqual([]);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['x-api-key']).toBe(KEY);
  });

  it('given a 307 to a POST, then it is not followed either (the body and the key stay here)', async () => {
    const target = await serve([]);
    const server = await serve([], { status: 307, headers: { location: `${target.url}/v1/dlq/redrive` } });
    const { client } = clientOf(server);
    await expect(
      client.post('/v1/dlq/redrive', { body: { all: true }, idempotencyKey: 'k' }),
    ).rejects.toMatchObject({ status: 307 });
    expect(target.requests).toEqual([]);
  });
});
