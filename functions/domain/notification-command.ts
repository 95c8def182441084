/**
 * What an admin may do to one pending notification: cancel it, or move its next attempt to
 * another instant. Both are single conditional writes on the occurrence's version, so they race
 * safely with the worker: whichever writes first wins, the other re-reads and sees the change.
 * An occurrence being sent right now (`sending` under a live lease) is not pending: the attempt
 * in flight decides, and the admin is told to try again.
 *
 * @example
 * const result = adminCancel(occurrence, now);
 * if (result.ok) await occurrences.save(result.occurrence);
 */
import { WATCH_GRACE_MS, type Occurrence } from '#domain/occurrence';

/** The statusReason of an occurrence an admin cancelled: the scheduler never revives it. */
export const CANCELLED_BY_ADMIN = 'cancelled by an admin';

/** How far ahead a notification may be moved. */
export const MAX_RESCHEDULE_AHEAD_MS = 366 * 86_400_000;

export type CommandResult = { ok: true; occurrence: Occurrence } | { ok: false; reason: string };

/** Whether it can still be cancelled or moved: not final, not cancelled, not in flight. */
export function pendingProblem(occurrence: Occurrence, now: number): string | undefined {
  switch (occurrence.status) {
    case 'delivered':
    case 'failed':
    case 'skipped':
    case 'cancelled':
      return `the notification is ${occurrence.status}, not pending`;
    case 'sending':
      return (occurrence.leaseUntil ?? 0) > now
        ? 'the notification is being sent right now; try again in a minute'
        : undefined;
    default:
      return undefined;
  }
}

const next = (occurrence: Occurrence, now: number, changes: Partial<Occurrence>): Occurrence => ({
  ...occurrence,
  ...changes,
  updatedAt: now,
  version: occurrence.version + 1,
});

export function adminCancel(occurrence: Occurrence, now: number): CommandResult {
  const problem = pendingProblem(occurrence, now);
  if (problem !== undefined) return { ok: false, reason: problem };
  return {
    ok: true,
    occurrence: next(occurrence, now, {
      status: 'cancelled',
      statusReason: CANCELLED_BY_ADMIN,
      leaseOwner: undefined,
      leaseUntil: undefined,
      watchAt: undefined,
    }),
  };
}

/**
 * Moves the next attempt to `at` (now, if `at` is past). Its identity (id, local date, due
 * instant) stays: it is the same notification, sent later or sooner, still at most once. A
 * notification already past its due instant cannot be moved before it (the worker waits for
 * both), which never matters: pending ones were created when due.
 */
export function adminReschedule(occurrence: Occurrence, now: number, at: number): CommandResult {
  const problem = pendingProblem(occurrence, now);
  if (problem !== undefined) return { ok: false, reason: problem };
  const when = Math.max(now, at);
  return {
    ok: true,
    occurrence: next(occurrence, now, {
      status: occurrence.attempts > 0 ? 'retrying' : 'queued',
      leaseOwner: undefined,
      leaseUntil: undefined,
      nextAttemptAt: when,
      // Watched from the new instant on: a lost message is still found and sent.
      watchAt: when + WATCH_GRACE_MS,
      statusReason: `rescheduled by an admin to ${new Date(when).toISOString()}`,
    }),
  };
}
