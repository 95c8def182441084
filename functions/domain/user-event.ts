/**
 * A user's dated events. The user's own `birthday` field is the `birthday` event (id `birthday`,
 * kept on the user item as before); every other event is an item of its own beside the user,
 * carrying its next occurrence in the same sparse due index. Whichever it is, one
 * {@link ScheduledTarget} describes it, so the scheduler, the worker and the admin use cases
 * compute rules, ids and fingerprints in one way.
 *
 * @example
 * const target = birthdayTarget(user);
 * occurrenceIdOf(target, '2027-06-15'); // the same id birthdays always had
 */
import { effectiveSendAt, type EventType } from '#domain/event-type';
import { occurrenceId } from '#domain/occurrence-id';
import { eventRule, localYearOf, type EventRule } from '#domain/schedule';
import { fingerprintOf, type StoredUser, type UserSchedule } from '#domain/user';

/** The id under which the birthday shows among the user's events. */
export const BIRTHDAY_EVENT_ID = 'birthday';

/** Events one user may have besides the birthday: one Query lists them, no pagination. */
export const MAX_EVENTS_PER_USER = 100;

export interface UserEvent {
  id: string;
  userId: string;
  /** The event type's key. */
  type: string;
  /** `YYYY-MM-DD`: the origin of a yearly event, the day of a one-off. */
  date: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The next occurrence the scheduler has not yet handed on; null when there is none. */
  schedule: UserSchedule | null;
  /** x-request-id of the last API request that changed it, copied onto its occurrences. */
  lastRequestId?: string;
}

/** A user's event as the scheduler and the worker see it: birthday or stored event alike. */
export interface ScheduledTarget {
  userId: string;
  /** `birthday` or the stored event's id. */
  eventId: string;
  typeKey: string;
  date: string;
  /** The event's own `schedule` and `version` (the user's, for the birthday). */
  schedule: UserSchedule | null;
  version: number;
}

export const birthdayTarget = (user: StoredUser): ScheduledTarget => ({
  userId: user.id,
  eventId: BIRTHDAY_EVENT_ID,
  typeKey: 'birthday',
  date: user.birthday,
  schedule: user.schedule,
  version: user.version,
});

export const eventTarget = (event: UserEvent): ScheduledTarget => ({
  userId: event.userId,
  eventId: event.id,
  typeKey: event.type,
  date: event.date,
  schedule: event.schedule,
  version: event.version,
});

export const isBirthday = (target: Pick<ScheduledTarget, 'eventId'>): boolean =>
  target.eventId === BIRTHDAY_EVENT_ID;

/**
 * The occurrence id: the birthday keeps `(user, 'birthday', date)`, the id it always had, so
 * stored occurrences still match; other events use their own id, so two anniversaries of one
 * user on one date are two notifications.
 */
export const occurrenceIdOf = (
  target: Pick<ScheduledTarget, 'userId' | 'eventId'>,
  localDate: string,
): string => occurrenceId(target.userId, target.eventId, localDate);

type Timing = Pick<EventType, 'sendAt' | 'leapDay' | 'recurrence'>;
/** What of a user places their events in time. */
type ZoneAndPreferences = Pick<StoredUser, 'timezone' | 'preferences'>;

/** The rule of an event for this user and type as they are now. */
export function ruleOf(
  target: Pick<ScheduledTarget, 'date'>,
  user: ZoneAndPreferences,
  type: Timing,
): EventRule {
  return eventRule({
    date: target.date,
    timeZone: user.timezone,
    sendAt: effectiveSendAt(type, user.preferences?.sendAt),
    leapDay: type.leapDay,
    recurrence: type.recurrence,
  });
}

/** The fingerprint an occurrence of this event would carry now (see fingerprintOf). */
export function targetFingerprint(
  target: Pick<ScheduledTarget, 'date'>,
  user: ZoneAndPreferences,
  type: Pick<EventType, 'sendAt' | 'leapDay'>,
): string {
  return fingerprintOf({
    date: target.date,
    timezone: user.timezone,
    sendAt: effectiveSendAt(type, user.preferences?.sendAt),
    leapDay: type.leapDay,
  });
}

/** Why a user would get nothing for this type now; undefined when they would. */
export function suppressionOf(
  user: StoredUser,
  type: Pick<EventType, 'key' | 'enabled'>,
): string | undefined {
  if (!type.enabled) return 'event type disabled';
  if (user.preferences?.optOut.includes(type.key)) return 'user opted out of this event type';
  return undefined;
}

/** The values a template may use, for this event on this local date. */
export function templateValuesOf(
  user: Pick<StoredUser, 'firstName' | 'lastName'>,
  target: Pick<ScheduledTarget, 'date'>,
  localDate: string,
): { firstName: string; lastName: string; fullName: string; date: string; years: number } {
  const fullName = `${user.firstName} ${user.lastName}`.trim();
  return {
    firstName: user.firstName,
    lastName: user.lastName,
    fullName,
    date: localDate,
    years: Math.max(0, localYearOf(localDate) - localYearOf(target.date)),
  };
}
