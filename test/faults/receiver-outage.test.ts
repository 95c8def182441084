import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_OPTIONS } from '#adapters/circuit/shared-circuit-breaker';
import { endpointKeyOf } from '#use-cases/deliver-occurrence.use-case';
import { DUE_UTC, HOUR, InProcessScenario, MINUTE, seededRandom } from './harness';

/** Scenarios 1-2 of issue 6: the receiver is down or flapping; the service must neither lose nor double. */
describe('fault injection: the receiver is down or flapping', () => {
  const running: InProcessScenario[] = [];
  const start = async (...args: Parameters<typeof InProcessScenario.start>) => {
    const scenario = await InProcessScenario.start(...args);
    running.push(scenario);
    return scenario;
  };
  afterEach(async () => {
    for (const scenario of running.splice(0)) await scenario.stop();
  });

  it('1. given the receiver down for 6 simulated hours, when it comes back, then every webhook arrives once and the circuit opened once and closed once', async () => {
    const s = await start();
    const users = await s.users(20);
    s.receiver.goDown();

    await s.runAt(DUE_UTC);
    const attemptsPerStep: number[] = [];
    for (let step = 0; step < 3; step += 1) {
      const before = s.receiver.refusedAt.length;
      await s.step(2 * HOUR);
      attemptsPerStep.push(s.receiver.refusedAt.length - before);
    }
    const opened = s.events('CircuitOpened');
    const downUntil = s.now;

    s.receiver.up();
    await s.stepUntil(HOUR, 24, () => s.receiver.accepted().length >= users.length && s.last.pending === 0);
    const closed = s.events('CircuitClosed');
    const circuit = await s.table().circuits.get(endpointKeyOf(s.receiver.url));

    const counted = s.report({
      scenario: '1-receiver-down',
      title: 'receiver down (connections reset) for 6 h, then back',
      expectedUserIds: users,
      notes:
        `circuit opened ${opened.length}x after ${s.receiver.refusedAt.filter((at) => at <= Date.parse(opened[0]?.recordedAt ?? '')).length} failed calls, ` +
        `closed ${closed.length}x; at most ${Math.max(...attemptsPerStep)} call per 2-h step while open (probes); ` +
        `all delivered ${Math.round((s.now - downUntil) / HOUR)} h after the receiver came back`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    expect(counted.maxIdsPerUser).toBe(1);
    // Opened once, by the calls of the first pass, and only after the volume threshold was met.
    expect(opened).toHaveLength(1);
    expect(Date.parse(opened[0]!.recordedAt)).toBeLessThan(DUE_UTC + MINUTE);
    expect(
      s.receiver.refusedAt.filter((at) => at <= Date.parse(opened[0]!.recordedAt)).length,
    ).toBeGreaterThanOrEqual(DEFAULT_CIRCUIT_OPTIONS.volumeThreshold);
    // While open: one half-open probe per step at most (a step is longer than the reset timeout).
    expect(attemptsPerStep.slice(1).every((count) => count <= 1)).toBe(true);
    expect(attemptsPerStep.slice(1).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Closed once, by the first probe after the receiver came back, and closed now.
    expect(closed).toHaveLength(1);
    expect(Date.parse(closed[0]!.recordedAt)).toBeGreaterThan(downUntil);
    expect(Date.parse(closed[0]!.recordedAt)).toBeLessThan(downUntil + 2 * HOUR);
    expect(circuit.state).toBe('closed');
  }, 90_000);

  it('2. given a receiver failing half of all requests (503), then every webhook arrives once and every retry is in the attempt log', async () => {
    const s = await start();
    const users = await s.users(30);
    const random = seededRandom(6);
    const failedInARow = new Map<string, number>();
    // Half the requests fail, at random (seeded); never more than 3 in a row for one webhook, so
    // the retry budget of 8 attempts is not what decides the outcome (scenario 3b covers that).
    s.receiver.behave(({ webhookId }) => {
      const streak = failedInARow.get(webhookId) ?? 0;
      const fail = streak < 3 && random() < 0.5;
      failedInARow.set(webhookId, fail ? streak + 1 : 0);
      return { status: fail ? 503 : 204 };
    });

    await s.runAt(DUE_UTC);
    await s.stepUntil(
      10 * MINUTE,
      36,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );

    const { occurrences } = s.table();
    const ids = [...new Set(s.receiver.requests.map((r) => r.webhookId))];
    const logged = await Promise.all(ids.map((id) => occurrences.listAttempts(id)));
    const loggedRetryable = logged.flat().filter((a) => a.outcome === 'retryable' && a.statusCode === 503);
    const refused = s.receiver.requests.filter((r) => r.status === 503).length;
    const counted = s.report({
      scenario: '2-receiver-flapping',
      title: 'receiver answers 503 to 50 % of requests (seeded), at most 3 in a row per id',
      expectedUserIds: users,
      notes:
        `${refused} of ${s.receiver.requests.length} requests answered 503 ` +
        `(${Math.round((100 * refused) / s.receiver.requests.length)} %); ${loggedRetryable.length} retryable attempts in the attempt log; ` +
        `circuit opened ${s.events('CircuitOpened').length}x, closed ${s.events('CircuitClosed').length}x`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    expect(refused).toBeGreaterThan(0);
    // Every POST is in the attempt log, with what the receiver answered.
    expect(logged.flat()).toHaveLength(s.receiver.requests.length);
    expect(loggedRetryable).toHaveLength(refused);
  }, 90_000);
});
