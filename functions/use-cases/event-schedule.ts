import type { EventType } from '#domain/event-type';
import { FINAL_STATUSES } from '#domain/occurrence';
import { nextScheduled, scheduledAfter } from '#domain/schedule';
import type { StoredUser, UserSchedule } from '#domain/user';
import { occurrenceIdOf, ruleOf, type ScheduledTarget } from '#domain/user-event';
import type { OccurrenceRepository } from '#ports/occurrence-repository';

/**
 * The schedule an event gets when it is created or its rule changes (the user's zone or send
 * time, its date): the first occurrence due after now. A new zone or send time can put the same
 * local date still ahead although that date's notification went out already (Tokyo to Los
 * Angeles on the day); at most one per date, so the schedule is then the following one.
 */
export async function freshSchedule(
  target: Pick<ScheduledTarget, 'userId' | 'eventId' | 'date'>,
  user: Pick<StoredUser, 'timezone' | 'preferences'>,
  type: Pick<EventType, 'sendAt' | 'leapDay' | 'recurrence'>,
  now: number,
  occurrences: Pick<OccurrenceRepository, 'get'> | undefined,
): Promise<UserSchedule | null> {
  const rule = ruleOf(target, user, type);
  const next = nextScheduled(rule, now);
  if (!next || !occurrences) return next;
  const existing = await occurrences.get(occurrenceIdOf(target, next.localDate));
  return existing && FINAL_STATUSES.has(existing.status) ? scheduledAfter(rule, next.localDate) : next;
}

export const sameSchedule = (a: UserSchedule | null, b: UserSchedule | null): boolean =>
  a === b || (a !== null && b !== null && a.localDate === b.localDate && a.dueAt === b.dueAt);
