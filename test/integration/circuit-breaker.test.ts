import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { DEFAULT_CIRCUIT_OPTIONS, SharedCircuitBreaker } from '#adapters/circuit/shared-circuit-breaker';
import { ManualClock } from '#commons/clock';
import type { CircuitTransition } from '#ports/circuit-breaker';
import type { WebhookOutcome } from '#ports/webhook-sender';
import { dynamoClients, LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/embedded-dynamodb';
import { startTestTable, type TestTable } from '../support/dynamodb';

const delivered: WebhookOutcome = { kind: 'delivered', statusCode: 200, durationMs: 5 };
const serverError: WebhookOutcome = { kind: 'retryable', statusCode: 503, error: 'HTTP 503', durationMs: 5 };
const notFound: WebhookOutcome = { kind: 'permanent', statusCode: 404, error: 'HTTP 404', durationMs: 5 };
const tooMany: WebhookOutcome = { kind: 'rate-limited', statusCode: 429, durationMs: 5 };

const { volumeThreshold, resetTimeoutMs, stateCacheMs, rollingWindowMs } = DEFAULT_CIRCUIT_OPTIONS;

/** A webhook call stand-in that answers a fixed outcome and counts how often it was made. */
function endpoint(outcome: WebhookOutcome) {
  const calls = { count: 0 };
  const call = () => {
    calls.count += 1;
    return Promise.resolve(outcome);
  };
  return { calls, call };
}

describe('SharedCircuitBreaker with its state in DynamoDB', () => {
  let table: TestTable;
  let store: DynamoCircuitStateStore;
  const breakers: SharedCircuitBreaker[] = [];
  let keySeq = 0;

  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoCircuitStateStore({ client: table.doc, tableName: table.tableName });
  });
  afterAll(async () => {
    await table.stop();
  });
  afterEach(() => {
    for (const breaker of breakers.splice(0)) breaker.shutdown();
  });

  /** One "container": its own breaker instance, sharing the store and the simulated clock. */
  function container(clock: ManualClock, transitions: CircuitTransition[] = []) {
    const breaker = new SharedCircuitBreaker({
      store,
      clock,
      onTransition: (t) => transitions.push(t),
    });
    breakers.push(breaker);
    return breaker;
  }
  const freshKey = () => `hooks-${++keySeq}.example.com`;

  async function trip(breaker: SharedCircuitBreaker, key: string) {
    const failing = endpoint(serverError);
    for (let i = 0; i < volumeThreshold; i += 1) await breaker.run(key, failing.call);
  }

  it('given retryable failures, when they reach the volume threshold, then the circuit opens for everyone', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const transitions: CircuitTransition[] = [];
    const breaker = container(clock, transitions);
    const key = freshKey();
    const failing = endpoint(serverError);

    for (let i = 0; i < volumeThreshold - 1; i += 1) {
      expect(await breaker.run(key, failing.call)).toEqual(serverError);
    }
    expect((await store.get(key)).state).toBe('closed');
    await breaker.run(key, failing.call);

    expect(transitions).toEqual([{ endpointKey: key, from: 'closed', to: 'open', at: clock.now() }]);
    expect(await store.get(key)).toMatchObject({
      state: 'open',
      failures: 1,
      openedAt: clock.now(),
      retryAt: clock.now() + resetTimeoutMs,
    });
    expect(failing.calls.count).toBe(volumeThreshold);
  });

  it('given an open circuit, when any container runs a call before retryAt, then the call is not made', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const [a, b] = [container(clock), container(clock)];
    const key = freshKey();
    await trip(a, key);
    const retryAt = clock.now() + resetTimeoutMs;
    clock.advance(resetTimeoutMs - 1);
    const target = endpoint(delivered);

    expect(await a.run(key, target.call)).toEqual({ kind: 'circuit-open', retryAt });
    expect(await b.run(key, target.call)).toEqual({ kind: 'circuit-open', retryAt });
    expect(target.calls.count).toBe(0);
  });

  it('given retryAt has passed, when two containers run at once, then exactly one probes and success closes it for both', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const transitions: CircuitTransition[] = [];
    const [a, b] = [container(clock, transitions), container(clock, transitions)];
    const key = freshKey();
    await trip(a, key);
    clock.advance(resetTimeoutMs);
    const target = endpoint(delivered);

    const results = await Promise.all([a.run(key, target.call), b.run(key, target.call)]);

    expect(target.calls.count).toBe(1);
    const loser = results.find((r) => r.kind === 'circuit-open');
    expect(results.filter((r) => r.kind === 'delivered')).toHaveLength(1);
    expect(loser).toEqual({ kind: 'circuit-open', retryAt: clock.now() + stateCacheMs });
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open', 'open->closed']);
    expect(await store.get(key)).toMatchObject({ state: 'closed', failures: 0 });

    clock.advance(stateCacheMs);
    expect(await a.run(key, target.call)).toEqual(delivered);
    expect(await b.run(key, target.call)).toEqual(delivered);
    expect(target.calls.count).toBe(3);
  });

  it('given a closed circuit, when one container makes many calls at once and more within stateCacheMs, then it reads the shared state once', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    // The same table through a client that counts the circuit reads.
    const { raw, doc } = dynamoClients(table.endpoint);
    const reads = { count: 0 };
    doc.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'GetItemCommand') reads.count += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
    const breaker = new SharedCircuitBreaker({
      store: new DynamoCircuitStateStore({ client: doc, tableName: table.tableName }),
      clock,
    });
    breakers.push(breaker);
    const key = freshKey();
    const target = endpoint(delivered);

    try {
      const batch = () => Promise.all(Array.from({ length: 10 }, () => breaker.run(key, target.call)));
      expect(await batch()).toEqual(Array.from({ length: 10 }, () => delivered));
      clock.advance(stateCacheMs - 1);
      await batch();
      expect(reads.count).toBe(1);

      clock.advance(1);
      await batch();
      expect(reads.count).toBe(2);
      expect(target.calls.count).toBe(30);
    } finally {
      raw.destroy();
    }
  });

  it('given retryAt has passed, when one container runs many calls at once, then exactly one of them probes', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const breaker = container(clock);
    const key = freshKey();
    await trip(breaker, key);
    clock.advance(resetTimeoutMs);
    const target = endpoint(delivered);

    const results = await Promise.all(Array.from({ length: 10 }, () => breaker.run(key, target.call)));

    expect(target.calls.count).toBe(1);
    expect(results.filter((r) => r.kind === 'delivered')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'circuit-open')).toHaveLength(9);
    expect(await store.get(key)).toMatchObject({ state: 'closed' });
  });

  it('given a container cached the state as closed, when another opens it, then it learns within stateCacheMs', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const [a, b] = [container(clock), container(clock)];
    const key = freshKey();
    const target = endpoint(delivered);
    await b.run(key, target.call);
    await trip(a, key);

    clock.advance(stateCacheMs - 1);
    expect(await b.run(key, target.call)).toEqual(delivered);
    clock.advance(1);
    expect(await b.run(key, target.call)).toMatchObject({ kind: 'circuit-open' });
    expect(target.calls.count).toBe(2);
  });

  it('given the probe fails, when it ends, then the circuit re-opens for another reset timeout without a new transition', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const transitions: CircuitTransition[] = [];
    const breaker = container(clock, transitions);
    const key = freshKey();
    await trip(breaker, key);
    const openedAt = clock.now();
    clock.advance(resetTimeoutMs + 1_000);
    const failing = endpoint(serverError);

    expect(await breaker.run(key, failing.call)).toEqual(serverError);

    const reopened = await store.get(key);
    expect(reopened).toMatchObject({
      state: 'open',
      failures: 2,
      openedAt,
      retryAt: clock.now() + resetTimeoutMs,
    });
    expect(reopened.probeLeaseUntil).toBeUndefined();
    expect(transitions.map((t) => t.to)).toEqual(['open']);
    clock.advance(1);
    expect(await breaker.run(key, failing.call)).toEqual({ kind: 'circuit-open', retryAt: reopened.retryAt });
    expect(failing.calls.count).toBe(1);
  });

  it('given the probe throws, when it ends, then the circuit re-opens and the error reaches the caller', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const breaker = container(clock);
    const key = freshKey();
    await trip(breaker, key);
    clock.advance(resetTimeoutMs);

    await expect(breaker.run(key, () => Promise.reject(new Error('socket hang up')))).rejects.toThrow(
      'socket hang up',
    );
    expect(await store.get(key)).toMatchObject({ state: 'open', retryAt: clock.now() + resetTimeoutMs });
  });

  it('given a probe lease that expired, when another container runs, then it may probe in turn', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const key = freshKey();
    await trip(container(clock), key);
    clock.advance(resetTimeoutMs);
    // A container took the lease and died before it could answer.
    expect(await store.tryAcquireProbe(key, clock.now(), DEFAULT_CIRCUIT_OPTIONS.probeLeaseMs)).toBe(true);
    const target = endpoint(delivered);

    expect(await container(clock).run(key, target.call)).toMatchObject({ kind: 'circuit-open' });
    clock.advance(DEFAULT_CIRCUIT_OPTIONS.probeLeaseMs);
    expect(await container(clock).run(key, target.call)).toEqual(delivered);
    expect((await store.get(key)).state).toBe('closed');
  });

  it('given 4xx and 429 answers, when many arrive, then the circuit stays closed', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const transitions: CircuitTransition[] = [];
    const breaker = container(clock, transitions);
    const key = freshKey();
    const [gone, limited] = [endpoint(notFound), endpoint(tooMany)];

    for (let i = 0; i < 3 * volumeThreshold; i += 1) {
      expect(await breaker.run(key, gone.call)).toEqual(notFound);
      expect(await breaker.run(key, limited.call)).toEqual(tooMany);
    }

    expect(transitions).toEqual([]);
    expect(await store.get(key)).toMatchObject({ state: 'closed', version: 0 });
  });

  it('given failures at or below the error threshold, when counted, then the circuit stays closed', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const breaker = container(clock);
    const key = freshKey();
    const [ok, failing] = [endpoint(delivered), endpoint(serverError)];

    for (let i = 0; i < 5; i += 1) {
      await breaker.run(key, ok.call);
      await breaker.run(key, failing.call);
    }

    expect((await store.get(key)).state).toBe('closed');
  });

  it('given failures spread wider than the rolling window on the injected clock, when counted, then old ones have expired', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    const breaker = container(clock);
    const key = freshKey();
    const failing = endpoint(serverError);

    for (let i = 0; i < volumeThreshold - 1; i += 1) await breaker.run(key, failing.call);
    clock.advance(rollingWindowMs + 1);
    for (let i = 0; i < volumeThreshold - 1; i += 1) await breaker.run(key, failing.call);
    expect((await store.get(key)).state).toBe('closed');

    await breaker.run(key, failing.call);
    expect((await store.get(key)).state).toBe('open');
  });

  it('given the state store is unreachable, when calls fail beyond the threshold, then calls still go through (fail open)', async () => {
    const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
    // Port 9 (discard) has no listener here: every store call fails with a connection error.
    const dead = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const warnings: string[] = [];
    const breaker = new SharedCircuitBreaker({
      store: new DynamoCircuitStateStore({
        client: DynamoDBDocumentClient.from(dead),
        tableName: 'unreachable',
      }),
      clock,
      logger: { warn: (message) => warnings.push(message) },
    });
    breakers.push(breaker);
    const failing = endpoint(serverError);

    for (let i = 0; i < 3 * volumeThreshold; i += 1) {
      expect(await breaker.run('down.example.com', failing.call)).toEqual(serverError);
      clock.advance(stateCacheMs);
    }

    expect(failing.calls.count).toBe(3 * volumeThreshold);
    expect(warnings.length).toBeGreaterThan(0);
    expect(new Set(warnings)).toEqual(new Set(['circuit state store failed; failing open']));
    dead.destroy();
  });
});
