import { describe, expect, it } from 'vitest';
import {
  markFailed,
  newOccurrence,
  noteDeadLetterDeleted,
  redrive,
  REDRIVEN_REASON,
  triggerOf,
  WATCH_GRACE_MS,
  workability,
} from '#domain/occurrence';
import { birthdayInput } from '../../support/occurrence-input';

const T0 = Date.parse('2027-06-15T09:00:00Z');
const fresh = newOccurrence(birthdayInput(), T0, false);

describe('redriving a failed occurrence', () => {
  it('given a failed occurrence with its budget spent, when redriven, then it is queued now, workable, watched, with a fresh budget', () => {
    const failed = markFailed({ ...fresh, attempts: 7, deferrals: 2 }, T0 + 1_000, 'retries exhausted', true);
    const later = T0 + 86_400_000;

    const redriven = redrive(failed, later);

    expect(redriven).toMatchObject({
      status: 'queued',
      statusReason: REDRIVEN_REASON,
      attempts: 0,
      deferrals: 0,
      nextAttemptAt: later,
      watchAt: later + WATCH_GRACE_MS,
      version: failed.version + 1,
      lastError: 'retries exhausted',
    });
    expect(workability(redriven, later)).toBeUndefined();
    expect(workability(failed, later)).toEqual({ reason: 'final' });
  });

  it.each(['queued', 'delivered', 'skipped', 'cancelled'] as const)(
    'given a %s occurrence, when redriven, then it is unchanged',
    (status) => {
      const occurrence = { ...fresh, status };
      expect(redrive(occurrence, T0 + 5)).toBe(occurrence);
    },
  );

  it('given a failed occurrence, when its dead letter is deleted, then it stays failed with a note', () => {
    const failed = markFailed(fresh, T0, 'HTTP 400', true);
    expect(noteDeadLetterDeleted(failed, T0 + 1)).toMatchObject({
      status: 'failed',
      statusReason: 'dead-letter message deleted by an admin',
      version: failed.version + 1,
    });
  });

  it('given an attempt recorded before triggers existed, then it reads as scheduled', () => {
    expect(triggerOf({})).toBe('scheduled');
    expect(triggerOf({ trigger: 'replay' })).toBe('replay');
  });
});
