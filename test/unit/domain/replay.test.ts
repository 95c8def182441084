import { describe, expect, it } from 'vitest';
import {
  cancel,
  markDelivered,
  markFailed,
  newOccurrence,
  replay,
  WATCH_GRACE_MS,
  workability,
  type Occurrence,
} from '#domain/occurrence';
import { normalizeReplayRequest, replayJobIdOf } from '#domain/replay-job';
import { birthdayInput } from '../../support/occurrence-input';

const T0 = Date.parse('2027-06-15T09:00:00Z');
const LATER = T0 + 86_400_000;
const JOB = `rpl_${'1'.repeat(32)}`;
const fresh = newOccurrence(birthdayInput(), T0, false);

describe('replaying an occurrence', () => {
  it('given a failed one, when replayed, then it is queued now, workable, watched, with a fresh budget and the job recorded', () => {
    const failed = markFailed({ ...fresh, attempts: 7 }, T0 + 1_000, 'HTTP 400: no', true);

    const replayed = replay(failed, LATER, { jobId: JOB, force: false });

    expect(replayed).toMatchObject({
      occurrenceId: fresh.occurrenceId,
      status: 'queued',
      attempts: 0,
      deferrals: 0,
      nextAttemptAt: LATER,
      watchAt: LATER + WATCH_GRACE_MS,
      replayedBy: JOB,
      version: failed.version + 1,
    });
    expect(workability(replayed as Occurrence, LATER)).toBeUndefined();
  });

  it('given a skipped or cancelled one, when replayed, then it is queued again', () => {
    const skipped = newOccurrence(fresh, T0 + 3 * 86_400_000, true);
    expect(replay(skipped, LATER, { jobId: JOB, force: false })).toMatchObject({ status: 'queued' });
    const cancelled = cancel(fresh, T0, 'user deleted');
    expect(replay(cancelled, LATER, { jobId: JOB, force: false })).toMatchObject({ status: 'queued' });
  });

  it('given a delivered one, when replayed without force, then it stays; with force, it is queued once per job', () => {
    const delivered = markDelivered(fresh, T0 + 1_000);
    expect(replay(delivered, LATER, { jobId: JOB, force: false })).toBe('delivered');

    const forced = replay(delivered, LATER, { jobId: JOB, force: true });
    expect(forced).toMatchObject({ status: 'queued', replayedBy: JOB });
    const deliveredAgain = markDelivered(forced as Occurrence, LATER + 1_000);
    expect(replay(deliveredAgain, LATER + 2_000, { jobId: JOB, force: true })).toBe('already-replayed');
    expect(
      replay(deliveredAgain, LATER + 2_000, { jobId: `rpl_${'2'.repeat(32)}`, force: true }),
    ).toMatchObject({
      status: 'queued',
    });
  });

  it('given one on its way (queued, sending, retrying), when replayed, then it is left alone even when forced', () => {
    for (const status of ['queued', 'sending', 'retrying'] as const) {
      expect(replay({ ...fresh, status }, LATER, { jobId: JOB, force: true }), status).toBe('in-flight');
    }
  });
});

describe('the replay job id', () => {
  it('given the same request written differently, when normalized, then it has the same id; another request has another', () => {
    const a = normalizeReplayRequest({ from: 1, to: 2, statuses: ['skipped', 'failed', 'failed'] });
    const b = normalizeReplayRequest({ from: 1, to: 2 });
    expect(replayJobIdOf(a)).toBe(replayJobIdOf(b));
    expect(replayJobIdOf(a)).toMatch(/^rpl_[0-9a-f]{32}$/);
    expect(replayJobIdOf(normalizeReplayRequest({ from: 1, to: 2, force: true }))).not.toBe(replayJobIdOf(a));
    expect(normalizeReplayRequest({ from: 1, to: 2, force: true }).statuses).toEqual([
      'delivered',
      'failed',
      'skipped',
    ]);
  });
});
