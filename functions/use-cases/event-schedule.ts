import type { EventType } from '#domain/event-type';
import { FINAL_STATUSES } from '#domain/occurrence';
import { localYearOf, nextScheduled, scheduledAfter, type EventRule } from '#domain/schedule';
import type { StoredUser, UserSchedule } from '#domain/user';
import { occurrenceIdOf, ruleOf, type ScheduledTarget } from '#domain/user-event';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import { slotOf } from '#ports/scheduler-state';

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

/**
 * The schedule the API shows for an item (`nextNotificationAt`): its anchor while that is ahead.
 * The scheduler does not rewrite an anchor it has handled when next year's falls on the same
 * slot (ADR 0009), so an anchor due or past stands for the occurrences after it: shown is then
 * the first one under the rule due strictly after now, unless the anchor's slot has already come
 * in that one's local year: that date was handled at the slot (a send time moved later since
 * would otherwise show a second notification on a date that had its one), so the one after it.
 * A due one not yet handed to the queue is not shown here; it shows in the notification log once
 * handled. Without a rule (its type is gone) the anchor is all there is.
 */
export function shownSchedule(
  anchor: UserSchedule | null,
  rule: EventRule | undefined,
  now: number,
): UserSchedule | null {
  if (!anchor || anchor.dueAt > now || !rule) return anchor;
  const next = nextScheduled(rule, now);
  if (!next) return null;
  const yearsOn = localYearOf(next.localDate) - localYearOf(anchor.localDate);
  const { monthOfYear, slotAt } = slotOf(anchor.dueAt);
  const slotThatYear =
    Date.UTC(new Date(anchor.dueAt).getUTCFullYear() + yearsOn, monthOfYear - 1, 1) + slotAt;
  return slotThatYear <= now ? scheduledAfter(rule, next.localDate) : next;
}
