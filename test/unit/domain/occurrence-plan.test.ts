import { describe, expect, it } from 'vitest';
import {
  claim,
  countAttempt,
  discardable,
  isPlanned,
  newOccurrence,
  planOf,
  plannedOccurrence,
  WATCH_GRACE_MS,
} from '#domain/occurrence';
import { birthdayInput } from '../../support/occurrence-input';

const T0 = Date.parse('2027-06-15T09:00:00Z');
const LEASE = 35_000;
const INPUT = birthdayInput({ occurrenceId: `occ_${'b'.repeat(32)}`, correlationId: 'req-1' });

describe('a planned occurrence (ADR 0010)', () => {
  const planned = plannedOccurrence(INPUT, planOf(INPUT, T0 + 1_000));

  it('given a plan, then its occurrence is what the pass found, not stored (version 0), queued since the pass, unwatched', () => {
    expect(planned).toMatchObject({
      ...INPUT,
      status: 'queued',
      version: 0,
      enqueuedAt: T0 + 1_000,
      fromPlan: true,
    });
    expect(planned.watchAt).toBeUndefined();
    expect(isPlanned(planned)).toBe(true);
  });

  it('given its first claim, then it stays unwatched (the plan stays on the queue meanwhile)', () => {
    const first = claim(planned, 'w1', T0 + 2_000, LEASE);
    expect(first).toMatchObject({ status: 'sending', version: 1 });
    expect(first.watchAt).toBeUndefined();
    expect(isPlanned(first)).toBe(false);
  });

  it('given a claim that takes over an unwatched one (its worker died), then it is watched from the end of the new lease on', () => {
    const first = claim(planned, 'w1', T0 + 2_000, LEASE);
    const takeover = claim(first, 'w2', T0 + 400_000, LEASE);
    expect(takeover.watchAt).toBe(T0 + 400_000 + LEASE + WATCH_GRACE_MS);
  });

  it('given an occurrence a pass created (watched), then a claim keeps its watch instant', () => {
    const created = newOccurrence(INPUT, T0, false);
    expect(claim(created, 'w1', T0 + 1_000, LEASE).watchAt).toBe(created.watchAt);
  });

  it('given its user gone, then only a plan-created occurrence never POSTed leaves no record', () => {
    const first = claim(planned, 'w1', T0 + 2_000, LEASE);
    expect(discardable(first)).toBe(true);
    expect(discardable(countAttempt(first))).toBe(false);
    expect(discardable(claim(newOccurrence(INPUT, T0, false), 'w1', T0, LEASE))).toBe(false);
  });
});
