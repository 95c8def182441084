import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
});

import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { occurrenceId } from '#domain/occurrence-id';
import { endpointKeyOf } from '#use-cases/deliver-occurrence.use-case';
import { OperationsHarness, VIEWER_KEY } from '../support/operations-harness';

const START = Date.parse('2027-06-01T00:00:00Z');
const DUE = Date.parse('2027-06-15T09:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

describe('circuit control through the admin API', () => {
  let harness: OperationsHarness;
  let store: DynamoCircuitStateStore;

  beforeEach(async () => {
    harness = await new OperationsHarness().start(START);
    store = new DynamoCircuitStateStore({ client: harness.table.doc, tableName: harness.table.tableName });
  });

  afterEach(async () => {
    await harness.stop();
  });

  const pathOf = (endpoint: string, suffix = ''): string =>
    `/v1/circuits/${encodeURIComponent(endpoint)}${suffix}`;

  it('given circuits the breaker opened, when listed and read, then each shows its state, failures and times', async () => {
    const now = harness.clock.now();
    // What the breaker writes when an endpoint trips (one container wins the compare-and-set).
    expect(await store.open('https://a.example:443', now, now + 60_000, 0)).toBe(true);
    expect(await store.open('https://b.example:443', now - 120_000, now - 60_000, 0)).toBe(true);
    expect(await store.open('https://c.example:443', now, now + 60_000, 0)).toBe(true);
    expect(await store.close('https://c.example:443', now)).toBe(true);

    const answer = await harness.call('GET', '/v1/circuits', { apiKey: VIEWER_KEY });

    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([
      {
        endpoint: 'https://a.example:443',
        state: 'open',
        failures: 1,
        openSince: iso(now),
        openUntil: iso(now + 60_000),
        forced: false,
        probing: false,
        updatedAt: iso(now),
        version: 1,
      },
      expect.objectContaining({
        endpoint: 'https://b.example:443',
        state: 'half-open',
        openUntil: iso(now - 60_000),
      }),
      expect.objectContaining({
        endpoint: 'https://c.example:443',
        state: 'closed',
        failures: 0,
        openSince: null,
      }),
    ]);
    const one = await harness.call('GET', pathOf('https://a.example:443'));
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBe('"1"');
    expect(one.body).toMatchObject({ endpoint: 'https://a.example:443', state: 'open' });
    expect((await harness.call('GET', pathOf('https://never.example:443'))).status).toBe(404);
    expect((await harness.call('GET', '/v1/circuits/not-an-endpoint')).status).toBe(404);
  });

  it('given an open circuit, when reset, then it is closed for everyone and CircuitClosed is published', async () => {
    const now = harness.clock.now();
    await store.open('https://a.example:443', now, now + 60_000, 0);

    const stale = await harness.call('POST', pathOf('https://a.example:443', '/reset'), {
      headers: { 'if-match': '"7"' },
    });
    expect(stale.status).toBe(412);
    expect((await store.get('https://a.example:443')).state).toBe('open');

    const answer = await harness.call('POST', pathOf('https://a.example:443', '/reset'), {
      headers: { 'if-match': '"1"' },
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      state: 'closed',
      failures: 0,
      openSince: null,
      openUntil: null,
      version: 2,
    });
    expect(await store.get('https://a.example:443')).toMatchObject({ state: 'closed', failures: 0 });
    expect(harness.eventTypes()).toContain('CircuitClosed');
    expect((await harness.call('POST', pathOf('https://never.example:443', '/reset'))).status).toBe(404);
  });

  it('given a receiver, when its circuit is forced open, then deliveries are deferred without using the budget, and after a reset they go out', async () => {
    const user = await harness.manageUsers.create(
      { firstName: 'Jo', lastName: 'Doe', birthday: '1990-06-15', timezone: 'UTC' },
      'req-1',
    );
    const endpoint = endpointKeyOf(harness.receiver.url);
    harness.clock.set(DUE);

    const opened = await harness.call('POST', pathOf(endpoint, '/open'), { body: { durationSeconds: 600 } });

    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({
      endpoint,
      state: 'open',
      forced: true,
      openUntil: iso(DUE + 600_000),
    });
    expect(harness.eventTypes()).toContain('CircuitOpened');
    expect(await harness.schedulePassAt(DUE)).toBe(1);
    await harness.work();
    expect(harness.receiver.requests).toHaveLength(0);
    const id = occurrenceId(user.id, 'birthday', '2027-06-15');
    expect(await harness.occurrences.get(id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      deferrals: 1,
      lastError: 'circuit open',
      nextAttemptAt: DUE + 600_000,
    });

    const reset = await harness.call('POST', pathOf(endpoint, '/reset'));
    expect(reset.body).toMatchObject({ state: 'closed', forced: false });

    // A reset does not pull deferred notifications forward: they go out at their deferred time.
    harness.clock.set(DUE + 600_000);
    await harness.work();
    expect(harness.receiver.accepted(user.id)).toHaveLength(1);
    expect((await harness.occurrences.get(id))?.status).toBe('delivered');
    expect(await store.get(endpoint)).toMatchObject({ state: 'closed', version: 2 });
  });

  it('given no body, when forced open, then one hour; given bad input or a viewer key, then 400 or 403 and nothing changes', async () => {
    const endpoint = 'https://a.example:443';
    const bad = [
      [{ durationSeconds: 0 }, 'durationSeconds'],
      [{ durationSeconds: 'soon' }, 'durationSeconds'],
      [{ durationSeconds: 8 * 86_400 }, 'durationSeconds'],
      [{ until: 'later' }, 'until'],
    ] as const;
    for (const [body, field] of bad) {
      const answer = await harness.call('POST', pathOf(endpoint, '/open'), { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.body.errors as { path: string }[]).map((error) => error.path)).toContain(field);
    }
    expect((await harness.call('POST', pathOf(endpoint, '/open'), { apiKey: VIEWER_KEY })).status).toBe(403);
    expect((await store.get(endpoint)).version).toBe(0);

    const answer = await harness.call('POST', pathOf(endpoint, '/open'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ state: 'open', forced: true, openUntil: iso(START + 3_600_000) });
  });
});
