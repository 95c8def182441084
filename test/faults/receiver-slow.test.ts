import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_OPTIONS } from '#adapters/circuit/shared-circuit-breaker';
import { DEFAULT_RETRY_POLICY } from '#domain/retry-policy';
import { DUE_UTC, HOUR, InProcessScenario, MINUTE, SECOND } from './harness';

/** Scenarios 3-4 of issue 6: the receiver is slow or rate-limits; the service must neither lose nor double. */
describe('fault injection: the receiver is slow or rate-limits', () => {
  const running: InProcessScenario[] = [];
  const start = async (...args: Parameters<typeof InProcessScenario.start>) => {
    const scenario = await InProcessScenario.start(...args);
    running.push(scenario);
    return scenario;
  };
  afterEach(async () => {
    for (const scenario of running.splice(0)) await scenario.stop();
  });

  it('3a. given a receiver slower than the webhook timeout for 10 minutes, then the attempts time out, are retried, and each webhook is accepted once', async () => {
    const s = await start({ faults: { webhookTimeoutMs: 1_000 } });
    const users = await s.users(20);
    const fastFrom = DUE_UTC + 10 * MINUTE;
    s.receiver.behave(() =>
      s.service.runtime.clock.now() < fastFrom ? { status: 204, delayMs: 3_000 } : { status: 204 },
    );

    await s.runAt(DUE_UTC);
    await s.stepUntil(
      5 * MINUTE,
      48,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );

    const { occurrences } = s.table();
    const ids = [...new Set(s.receiver.requests.map((r) => r.webhookId))];
    const attempts = (await Promise.all(ids.map((id) => occurrences.listAttempts(id)))).flat();
    const timeouts = attempts.filter((a) => a.outcome === 'retryable' && /timeout/.test(a.error ?? ''));
    const late = s.receiver.requests.filter((r) => !r.answered).length;
    const counted = s.report({
      scenario: '3a-receiver-slow-then-fast',
      title: 'receiver takes 3 s against a 1 s timeout for 10 min, then answers at once',
      expectedUserIds: users,
      notes:
        `${timeouts.length} attempts timed out (in the attempt log); ${late} answers came after the sender had given up ` +
        `(not counted as delivered); circuit opened ${s.events('CircuitOpened').length}x, closed ${s.events('CircuitClosed').length}x`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    // Every request the sender gave up on is in the attempt log as a timeout, to be retried.
    expect(timeouts.length).toBeGreaterThanOrEqual(DEFAULT_CIRCUIT_OPTIONS.volumeThreshold);
    expect(timeouts).toHaveLength(late);
    expect(counted.maxIdsPerUser).toBe(1);
  }, 90_000);

  it('3b. given a receiver always slower than the timeout, then the notification fails into the DLQ after exactly the retry budget', async () => {
    const s = await start({ faults: { webhookTimeoutMs: 1_000 } });
    const users = await s.users(1);
    s.receiver.behave(() => ({ status: 204, delayMs: 3_000 }));

    await s.runAt(DUE_UTC);
    // One step past each delay of the schedule (+25 %: beyond its jitter), then the DLQ.
    for (const delay of DEFAULT_RETRY_POLICY.delaysSeconds) await s.step(delay * 1.25 * SECOND);
    // A day more: nothing further is sent once it has failed.
    await s.step(24 * HOUR);

    const [occurrenceId] = new Set(s.receiver.requests.map((r) => r.webhookId));
    const occurrence = await s.table().occurrences.get(occurrenceId ?? '');
    const budget = DEFAULT_RETRY_POLICY.delaysSeconds.length + 1;
    const counted = s.report({
      scenario: '3b-receiver-always-slow',
      title: 'receiver always slower than the timeout',
      expectedUserIds: users,
      notes: `${s.receiver.requests.length} attempts (budget ${budget}), then failed into the DLQ; status ${occurrence?.status ?? '?'}`,
    });

    expect(counted).toMatchObject({ delivered: 0, duplicates: 0, lost: 0, failed: 1 });
    expect(s.last.dlq).toBe(1);
    expect(s.receiver.requests).toHaveLength(budget);
    expect(counted.maxIdsPerUser).toBe(1);
    expect(occurrence?.status).toBe('failed');
  }, 90_000);

  it('4. given a receiver answering 429 with Retry-After: 120 more often than the retry budget, then it waits as told, spends no retry budget, and nothing reaches the DLQ', async () => {
    const s = await start();
    const users = await s.users(10);
    const RETRY_AFTER_SECONDS = 120;
    const RATE_LIMITED_TIMES = DEFAULT_RETRY_POLICY.delaysSeconds.length + 2; // beyond the budget
    const seen = new Map<string, number>();
    s.receiver.behave(({ webhookId }) => {
      const count = (seen.get(webhookId) ?? 0) + 1;
      seen.set(webhookId, count);
      return count <= RATE_LIMITED_TIMES
        ? { status: 429, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
        : { status: 204 };
    });

    await s.runAt(DUE_UTC);
    // Minute steps first, finer than Retry-After, so an early retry would show; then coarser.
    await s.stepUntil(MINUTE, 6, () => false);
    await s.stepUntil(
      3 * MINUTE,
      20,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );

    const gaps: number[] = [];
    for (const id of seen.keys()) {
      const times = s.receiver.requests.filter((r) => r.webhookId === id).map((r) => r.attemptAt);
      for (let i = 1; i < times.length; i += 1) gaps.push(times[i]! - times[i - 1]!);
    }
    const { occurrences } = s.table();
    const stored = await Promise.all([...seen.keys()].map((id) => occurrences.get(id)));
    const counted = s.report({
      scenario: '4-receiver-429',
      title: `receiver answers 429 + Retry-After: ${RETRY_AFTER_SECONDS} to the first ${RATE_LIMITED_TIMES} attempts of each webhook`,
      expectedUserIds: users,
      notes:
        `shortest wait between two attempts ${Math.min(...gaps) / SECOND} s; retry budget used: ` +
        `${Math.max(...stored.map((o) => o?.attempts ?? -1))} attempts, deferrals ${Math.min(...stored.map((o) => o?.deferrals ?? 0))}; ` +
        `circuit opened ${s.events('CircuitOpened').length}x`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    expect(s.receiver.requests).toHaveLength(users.length * (RATE_LIMITED_TIMES + 1));
    // Honoured: never earlier than Retry-After (webhook-timestamp has whole seconds).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual((RETRY_AFTER_SECONDS - 1) * SECOND);
    // The budget is untouched and the endpoint is not treated as failing.
    expect(stored.every((o) => o?.status === 'delivered' && o.attempts === 0)).toBe(true);
    expect(s.events('CircuitOpened')).toHaveLength(0);
  }, 90_000);
});
