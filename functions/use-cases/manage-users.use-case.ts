import { isoOf, type Clock } from '#commons/clock';
import { ConflictError, NotFoundError } from '#commons/errors';
import { createIdGenerator } from '#domain/ids';
import { FINAL_STATUSES } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import { birthdayRule, nextOccurrence, occurrenceAfter } from '#domain/schedule';
import { scheduleFingerprintOf, type StoredUser, type UserProfile, type UserSchedule } from '#domain/user';
import { isValidTimeZone, localDateOf, parseCalendarDate } from '#domain/zoned-time';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserPage, UserRepository } from '#ports/user-repository';

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
 * also carries the next birthday occurrence, so a profile and its schedule never disagree.
 */
export class ManageUsers {
  private readonly users: UserRepository;
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly occurrences: Pick<OccurrenceRepository, 'get'> | undefined;

  constructor(deps: {
    users: UserRepository;
    clock: Clock;
    newId?: () => string;
    /** Lets an edit see that the day's notification already went out (see `skipDone`). */
    occurrences?: Pick<OccurrenceRepository, 'get'>;
  }) {
    this.users = deps.users;
    this.clock = deps.clock;
    this.newId = deps.newId ?? createIdGenerator(deps.clock);
    this.occurrences = deps.occurrences;
  }

  async create(profile: UserProfile, requestId: string): Promise<StoredUser> {
    const now = this.validNow(profile);
    const user: StoredUser = {
      ...pickProfile(profile),
      id: this.newId(),
      createdAt: isoOf(now),
      updatedAt: isoOf(now),
      version: 1,
      schedule: nextOccurrence(birthdayRule(profile), now),
      lastRequestId: requestId,
    };
    await this.users.create(user);
    return user;
  }

  /** @throws NotFoundError */
  async get(id: string): Promise<StoredUser> {
    const user = await this.users.get(id);
    if (user === undefined) throw new NotFoundError('user', id);
    return user;
  }

  /** @throws NotFoundError, InvalidProfileError, ConflictError (after retries) */
  replace(id: string, profile: UserProfile, requestId: string): Promise<StoredUser> {
    return this.edit(id, () => pickProfile(profile), requestId);
  }

  /** @throws NotFoundError, InvalidProfileError, ConflictError (after retries) */
  patch(id: string, changes: Partial<UserProfile>, requestId: string): Promise<StoredUser> {
    return this.edit(id, (current) => ({ ...pickProfile(current), ...pickProfile(changes) }), requestId);
  }

  /** @throws NotFoundError */
  async delete(id: string): Promise<void> {
    // The worker re-reads the user before sending, so a deleted user's queued occurrence is
    // cancelled at delivery time; removing the item is all it takes here.
    if (!(await this.users.delete(id))) throw new NotFoundError('user', id);
  }

  /** @throws InvalidCursorError */
  list(limit: number, cursor?: string): Promise<UserPage> {
    return this.users.list(limit, cursor);
  }

  private async edit(
    id: string,
    change: (current: StoredUser) => UserProfile,
    requestId: string,
  ): Promise<StoredUser> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(id);
      const profile = change(current);
      const now = this.validNow(profile);
      const schedule = scheduleAfterEdit(current, profile, now);
      const next: StoredUser = {
        ...current,
        ...profile,
        updatedAt: isoOf(now),
        version: current.version + 1,
        schedule: schedule === current.schedule ? schedule : await this.skipDone(id, profile, schedule),
        lastRequestId: requestId,
      };
      try {
        await this.users.replace(next, current.version);
        return next;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * A new zone can put the same local date's 09:00 still ahead although that date's notification
   * went out already (Tokyo to Los Angeles on the day). At most one per date: the schedule shown
   * and kept is then next year's, not one that would never be sent.
   */
  private async skipDone(
    id: string,
    profile: UserProfile,
    schedule: UserSchedule | null,
  ): Promise<UserSchedule | null> {
    if (!schedule || !this.occurrences) return schedule;
    const existing = await this.occurrences.get(occurrenceId(id, 'birthday', schedule.localDate));
    return existing && FINAL_STATUSES.has(existing.status)
      ? occurrenceAfter(birthdayRule(profile), schedule.localDate)
      : schedule;
  }

  private validNow(profile: UserProfile): number {
    const now = this.clock.now();
    const issues = profileIssues(profile, now);
    if (issues.length > 0) throw new InvalidProfileError(issues);
    return now;
  }
}

/**
 * A new birthday or zone starts from now (the old occurrence is stale; the scheduler and worker
 * cancel it). Any other edit keeps a pending occurrence as it is: recomputing from now would
 * skip a birthday that is due but not yet handed to the queue (scheduler lag, downtime).
 */
function scheduleAfterEdit(current: StoredUser, profile: UserProfile, now: number): UserSchedule {
  if (current.schedule !== null && scheduleFingerprintOf(current) === scheduleFingerprintOf(profile)) {
    return current.schedule;
  }
  return nextOccurrence(birthdayRule(profile), now);
}

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
