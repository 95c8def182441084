import { isoOf, type Clock } from '#commons/clock';
import { ConflictError, NotFoundError, VersionMismatchError } from '#commons/errors';
import type { EventType } from '#domain/event-type';
import { createIdGenerator } from '#domain/ids';
import type { StoredUser, UserPreferences, UserProfile, UserSchedule } from '#domain/user';
import {
  BIRTHDAY_EVENT_ID,
  birthdayTarget,
  ruleOf,
  targetFingerprint,
  type UserEvent,
} from '#domain/user-event';
import { isValidTimeZone, localDateOf, parseCalendarDate } from '#domain/zoned-time';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { UserPage, UserRepository } from '#ports/user-repository';
import { freshSchedule, sameSchedule, shownSchedule } from './event-schedule';
import { EventTypeCatalog } from './event-type-catalog';

/** Earliest accepted birth year: older dates are typos, not customers. */
export const MIN_BIRTH_YEAR = 1900;

/** Optimistic retries for read-modify-write edits before answering 409. */
const MAX_ATTEMPTS = 3;

export interface ProfileIssue {
  /** The field, as the API names it (`birthday`). */
  path: string;
  message: string;
}

/** A profile that is well-formed but breaks a rule that needs the clock (a future birthday). */
export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
  constructor(readonly issues: readonly ProfileIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
  }
}

/**
 * The rules on a profile beyond its shape: a real birth date, not before 1900, not in the future.
 * The API schema checks the clock-free ones first; they are repeated so no other caller (bulk
 * import, a script) can store what the scheduler could not compute.
 */
export function profileIssues(profile: UserProfile, nowMs: number): ProfileIssue[] {
  if (!isValidTimeZone(profile.timezone)) {
    return [{ path: 'timezone', message: 'timezone must be an IANA time zone such as Europe/Paris' }];
  }
  const date = parseCalendarDate(profile.birthday);
  if (date === undefined) return [{ path: 'birthday', message: 'birthday must be a real date (YYYY-MM-DD)' }];
  if (date.year < MIN_BIRTH_YEAR) {
    return [{ path: 'birthday', message: `birthday must not be before ${MIN_BIRTH_YEAR}` }];
  }
  // "Today" is the user's today: someone born today in Tokyo may be born tomorrow in Honolulu.
  if (profile.birthday > localDateOf(nowMs, profile.timezone)) {
    return [{ path: 'birthday', message: `birthday must not be in the future in ${profile.timezone}` }];
  }
  return [];
}

/**
 * The admin's user operations. Every change is one conditional write on the user item, which
 * also carries the next birthday occurrence, so a profile and its schedule never disagree. A new
 * zone or send time then reschedules the user's other events, one conditional write each (a
 * crash between them is repaired by the scheduler and the worker, see ADR 0006).
 */
export class ManageUsers {
  private readonly users: UserRepository;
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly occurrences: Pick<OccurrenceRepository, 'get'> | undefined;
  private readonly catalog: EventTypeCatalog;
  private readonly userEvents: UserEventRepository | undefined;

  constructor(deps: {
    users: UserRepository;
    clock: Clock;
    newId?: () => string;
    /** Lets an edit see that the day's notification already went out (see freshSchedule). */
    occurrences?: Pick<OccurrenceRepository, 'get'>;
    /** Event types in effect (the birthday's send time and leap policy); default: built-ins. */
    eventTypes?: EventTypeCatalog;
    /** The user's other events, rescheduled with the user and deleted with it. */
    userEvents?: UserEventRepository;
  }) {
    this.users = deps.users;
    this.clock = deps.clock;
    this.newId = deps.newId ?? createIdGenerator(deps.clock);
    this.occurrences = deps.occurrences;
    this.catalog = deps.eventTypes ?? new EventTypeCatalog(undefined);
    this.userEvents = deps.userEvents;
  }

  async create(profile: UserProfile, requestId: string): Promise<StoredUser> {
    const now = this.validNow(profile);
    const id = this.newId();
    const user: StoredUser = {
      ...pickProfile(profile),
      id,
      createdAt: isoOf(now),
      updatedAt: isoOf(now),
      version: 1,
      schedule: await freshSchedule(
        { userId: id, eventId: BIRTHDAY_EVENT_ID, date: profile.birthday },
        profile,
        await this.birthdayType(),
        now,
        undefined,
      ),
      lastRequestId: requestId,
    };
    await this.users.create(user);
    return user;
  }

  /** The user as the API shows it (its schedule: see shown). @throws NotFoundError */
  async get(id: string): Promise<StoredUser> {
    return this.shown(await this.stored(id), await this.birthdayType());
  }

  /** The user as stored: its schedule is the anchor, possibly of a past year (ADR 0009). */
  private async stored(id: string): Promise<StoredUser> {
    const user = await this.users.get(id);
    if (user === undefined) throw new NotFoundError('user', id);
    return user;
  }

  /**
   * The user with the schedule the API shows (shownSchedule): the stored anchor may be a year
   * the scheduler has handled already. Only for answers: edits start from the stored anchor, so
   * a birthday due but not yet handed on is not skipped.
   */
  private shown(user: StoredUser, birthday: EventType): StoredUser {
    const rule = ruleOf(birthdayTarget(user), user, birthday);
    return { ...user, schedule: shownSchedule(user.schedule, rule, this.clock.now()) };
  }

  /** @throws NotFoundError, InvalidProfileError, ConflictError (after retries), VersionMismatchError */
  replace(
    id: string,
    profile: UserProfile,
    requestId: string,
    expectedVersion?: number,
  ): Promise<StoredUser> {
    return this.edit(id, (current) => ({ ...current, ...pickProfile(profile) }), requestId, expectedVersion);
  }

  /** @throws NotFoundError, InvalidProfileError, ConflictError (after retries), VersionMismatchError */
  patch(
    id: string,
    changes: Partial<UserProfile>,
    requestId: string,
    expectedVersion?: number,
  ): Promise<StoredUser> {
    return this.edit(id, (current) => ({ ...current, ...pickProfile(changes) }), requestId, expectedVersion);
  }

  /**
   * Replaces the user's preferences (one write of the user item); a new send time reschedules
   * the birthday in the same write and the other events after it.
   * @throws NotFoundError, InvalidProfileError (an unknown type key), ConflictError, VersionMismatchError
   */
  async setPreferences(
    id: string,
    preferences: UserPreferences,
    requestId: string,
    expectedVersion?: number,
  ): Promise<StoredUser> {
    const known = new Set((await this.catalog.list()).map((type) => type.key));
    const issues = preferences.optOut.flatMap((key, index) =>
      known.has(key) ? [] : [{ path: `optOut.${index}`, message: `there is no event type "${key}"` }],
    );
    if (issues.length > 0) throw new InvalidProfileError(issues);
    const optOut = [...new Set(preferences.optOut)];
    return this.edit(
      id,
      (current) => ({
        ...current,
        preferences: { optOut, ...(preferences.sendAt === undefined ? {} : { sendAt: preferences.sendAt }) },
      }),
      requestId,
      expectedVersion,
    );
  }

  /** @throws NotFoundError, VersionMismatchError */
  async delete(id: string, expectedVersion?: number): Promise<void> {
    if (expectedVersion !== undefined) {
      const current = await this.stored(id);
      if (current.version !== expectedVersion)
        throw new VersionMismatchError('user', expectedVersion, current.version);
    }
    // The worker re-reads the user before sending, so a deleted user's queued occurrence is
    // cancelled at delivery time; removing the item is all it takes for that.
    try {
      if (!(await this.users.delete(id, expectedVersion))) throw new NotFoundError('user', id);
    } catch (error) {
      if (!(error instanceof ConflictError) || expectedVersion === undefined) throw error;
      // Changed (or deleted) between the If-Match check and the write.
      const now = await this.users.get(id);
      if (!now) throw new NotFoundError('user', id);
      throw new VersionMismatchError('user', expectedVersion, now.version);
    }
    // Its events go too. A crash here leaves some behind: the scheduler drops an event whose
    // user is gone from the due index, and nothing is ever sent for it.
    const userEvents = this.userEvents;
    if (userEvents) {
      const events = await userEvents.listByUser(id);
      await Promise.all(events.map((event) => userEvents.delete(id, event.id)));
    }
  }

  /** @throws InvalidCursorError */
  async list(limit: number, cursor?: string): Promise<UserPage> {
    const page = await this.users.list(limit, cursor);
    const birthday = await this.birthdayType();
    return { ...page, items: page.items.map((user) => this.shown(user, birthday)) };
  }

  private async edit(
    id: string,
    change: (current: StoredUser) => StoredUser,
    requestId: string,
    expectedVersion?: number,
  ): Promise<StoredUser> {
    const birthday = await this.birthdayType();
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.stored(id);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new VersionMismatchError('user', expectedVersion, current.version);
      }
      const changed = change(current);
      const now = this.validNow(changed);
      const next: StoredUser = {
        ...changed,
        updatedAt: isoOf(now),
        version: current.version + 1,
        schedule: await this.scheduleAfterEdit(current, changed, birthday, now),
        lastRequestId: requestId,
      };
      try {
        await this.users.replace(next, current.version);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS || expectedVersion !== undefined) {
          throw error;
        }
        continue;
      }
      if (placesEventsDifferently(current, next)) await this.rescheduleEvents(next, requestId);
      return this.shown(next, birthday);
    }
  }

  /**
   * A new birthday, zone or send time starts from now (the old occurrence is stale; the
   * scheduler and worker cancel it). Any other edit keeps a pending occurrence as it is:
   * recomputing from now would skip a birthday that is due but not yet handed to the queue.
   */
  private async scheduleAfterEdit(
    current: StoredUser,
    next: StoredUser,
    birthday: EventType,
    now: number,
  ): Promise<UserSchedule | null> {
    const before = targetFingerprint({ date: current.birthday }, current, birthday);
    const after = targetFingerprint({ date: next.birthday }, next, birthday);
    if (current.schedule !== null && before === after) return current.schedule;
    return freshSchedule(
      { userId: current.id, eventId: BIRTHDAY_EVENT_ID, date: next.birthday },
      next,
      birthday,
      now,
      this.occurrences,
    );
  }

  /** Each of the user's events on the user's new zone or send time; one conditional write each. */
  private async rescheduleEvents(user: StoredUser, requestId: string): Promise<void> {
    if (!this.userEvents) return;
    const events = await this.userEvents.listByUser(user.id);
    await Promise.all(events.map((event) => this.rescheduleEvent(user, event, requestId)));
  }

  private async rescheduleEvent(user: StoredUser, event: UserEvent, requestId: string): Promise<void> {
    const repository = this.userEvents;
    if (!repository) return;
    let current: UserEvent | undefined = event;
    for (let attempt = 1; current && attempt <= MAX_ATTEMPTS; attempt += 1) {
      const type = await this.catalog.get(current.type);
      if (!type) return;
      const now = this.clock.now();
      const schedule = await freshSchedule(
        { userId: user.id, eventId: current.id, date: current.date },
        user,
        type,
        now,
        this.occurrences,
      );
      if (sameSchedule(schedule, current.schedule)) return;
      try {
        await repository.replace(
          {
            ...current,
            schedule,
            version: current.version + 1,
            updatedAt: isoOf(now),
            lastRequestId: requestId,
          },
          current.version,
        );
        return;
      } catch (error) {
        if (error instanceof NotFoundError) return;
        if (!(error instanceof ConflictError)) throw error;
        current = await repository.get(user.id, current.id);
      }
    }
  }

  private async birthdayType(): Promise<EventType> {
    const type = await this.catalog.get('birthday');
    if (!type) throw new Error('the built-in birthday type is missing');
    return type;
  }

  private validNow(profile: UserProfile): number {
    const now = this.clock.now();
    const issues = profileIssues(profile, now);
    if (issues.length > 0) throw new InvalidProfileError(issues);
    return now;
  }
}

/** A new zone or send time moves every event of the user. */
const placesEventsDifferently = (before: StoredUser, after: StoredUser): boolean =>
  before.timezone !== after.timezone || before.preferences?.sendAt !== after.preferences?.sendAt;

/** Only the profile fields: callers may pass richer objects, which must not leak into storage. */
function pickProfile(profile: UserProfile): UserProfile;
function pickProfile(profile: Partial<UserProfile>): Partial<UserProfile>;
function pickProfile(profile: Partial<UserProfile>): Partial<UserProfile> {
  const picked: Partial<UserProfile> = {};
  if (profile.firstName !== undefined) picked.firstName = profile.firstName;
  if (profile.lastName !== undefined) picked.lastName = profile.lastName;
  if (profile.birthday !== undefined) picked.birthday = profile.birthday;
  if (profile.timezone !== undefined) picked.timezone = profile.timezone;
  return picked;
}
