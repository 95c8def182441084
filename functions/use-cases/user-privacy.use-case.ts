import type { Clock } from '#commons/clock';
import { NotFoundError } from '#commons/errors';
import type { AttemptRecord, Occurrence } from '#domain/occurrence';
import type { StoredUser } from '#domain/user';
import { birthdayTarget, eventTarget, ruleOf, type UserEvent } from '#domain/user-event';
import type { AuditEntry } from '#ports/audit-log';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { PersonalDataStore } from '#ports/personal-data';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { UserRepository } from '#ports/user-repository';
import { mapLimited } from './concurrency';
import { shownSchedule } from './event-schedule';
import type { EventTypeCatalog } from './event-type-catalog';

/** Most notifications (and audit entries) one export holds; past it the export says it is truncated. */
export const MAX_EXPORTED_NOTIFICATIONS = 10_000;
/** Occurrences erased per round of the index; a user with more takes several rounds of one request. */
const ERASE_ROUND = 1_000;
/** Rounds one erase request runs at most (100,000 notifications); a repeat continues. */
const MAX_ERASE_ROUNDS = 100;
const READ_CONCURRENCY = 8;

/** Everything stored about one user. */
export interface UserExport {
  user: StoredUser;
  events: UserEvent[];
  notifications: { occurrence: Occurrence; attempts: AttemptRecord[] }[];
  /** More than MAX_EXPORTED_NOTIFICATIONS notifications exist; the oldest due are included. */
  notificationsTruncated: boolean;
  audit: AuditEntry[];
  auditTruncated: boolean;
}

/** What an erase removed; ids and counts only (it is audited and may be stored for Idempotency-Key). */
export interface ErasureSummary {
  userId: string;
  /** The user item was there and is gone now (false on a repeat that only finished the rest). */
  userDeleted: boolean;
  events: number;
  notifications: number;
  attempts: number;
  auditEntriesRedacted: number;
}

/**
 * Some notifications of the user were being sent (an attempt under a live lease): everything
 * else is erased, they are not. Repeating the erase after `retryAfterMs` finishes.
 */
export class ErasureIncompleteError extends Error {
  override readonly name = 'ErasureIncompleteError';
  constructor(
    readonly pending: number,
    readonly retryAfterMs: number,
  ) {
    super(`${pending} notification(s) of the user are being sent; repeat the erase`);
  }
}

/**
 * Privacy (issue 3, item 7): export everything stored about a user, and erase it.
 *
 * Erasure deletes the user's events, then the user item (nothing more is scheduled, and the
 * worker cancels whatever is still queued: it re-reads the user before every attempt), then each
 * notification's attempts and the notification itself, then redacts the audit entries about the
 * user (their `before`/`after` go; who, when, what and the ids stay). Every step is found again
 * from the user id alone (the item's key and the user-occurrence index), so a crash midway
 * leaves a state that a repeat completes, and a repeat after completion finds nothing: 404.
 */
export class UserPrivacy {
  constructor(
    private readonly deps: {
      users: UserRepository;
      userEvents: UserEventRepository;
      occurrences: OccurrenceRepository;
      personalData: PersonalDataStore;
      clock: Clock;
      /** Event types in effect, for the schedules the export shows; without it the stored anchors. */
      catalog?: EventTypeCatalog;
    },
  ) {}

  /** @throws NotFoundError when there is no such user */
  async export(userId: string): Promise<UserExport> {
    const { users, userEvents, occurrences, personalData } = this.deps;
    const user = await users.get(userId);
    if (!user) throw new NotFoundError('user', userId);
    const [events, ids, audit] = await Promise.all([
      userEvents.listByUser(userId),
      personalData.occurrenceIdsOf(userId, MAX_EXPORTED_NOTIFICATIONS),
      personalData.auditEntriesAbout(userId, MAX_EXPORTED_NOTIFICATIONS),
    ]);
    const found = await mapLimited(ids.items, READ_CONCURRENCY, async (id) => {
      const occurrence = await occurrences.get(id);
      return occurrence ? { occurrence, attempts: await occurrences.listAttempts(id) } : undefined;
    });
    const shown = await this.withShownSchedules(user, events);
    return {
      ...shown,
      notifications: found.filter((entry) => entry !== undefined),
      notificationsTruncated: ids.truncated,
      audit: audit.items,
      auditTruncated: audit.truncated,
    };
  }

  /**
   * The user and events with the schedules the API shows (shownSchedule): a stored anchor may be
   * a year the scheduler has handled already (ADR 0009).
   */
  private async withShownSchedules(
    user: StoredUser,
    events: UserEvent[],
  ): Promise<{ user: StoredUser; events: UserEvent[] }> {
    const { catalog, clock } = this.deps;
    if (!catalog) return { user, events };
    const now = clock.now();
    const birthday = await catalog.get('birthday');
    const shownUser = {
      ...user,
      schedule: shownSchedule(user.schedule, birthday && ruleOf(birthdayTarget(user), user, birthday), now),
    };
    const shownEvents = await Promise.all(
      events.map(async (event) => {
        const type = await catalog.get(event.type);
        const rule = type && ruleOf(eventTarget(event), user, type);
        return { ...event, schedule: shownSchedule(event.schedule, rule, now) };
      }),
    );
    return { user: shownUser, events: shownEvents };
  }

  /**
   * @throws NotFoundError when nothing of the user is left (never existed, or already erased);
   *   ErasureIncompleteError when an attempt was in flight (everything else is erased)
   */
  async erase(userId: string): Promise<ErasureSummary> {
    const { users, userEvents, personalData } = this.deps;
    // Events first, the user item after them: until the user item goes, a repeat sees the user.
    const events = await userEvents.listByUser(userId);
    for (const event of events) await userEvents.delete(userId, event.id);
    const userDeleted = await users.delete(userId);

    const notifications = await this.eraseNotifications(userId);
    const auditEntriesRedacted = await personalData.redactAuditAbout(userId);

    const summary: ErasureSummary = {
      userId,
      userDeleted,
      events: events.length,
      notifications: notifications.deleted,
      attempts: notifications.attempts,
      auditEntriesRedacted,
    };
    if (notifications.inFlightUntil !== undefined) {
      throw new ErasureIncompleteError(
        notifications.inFlight,
        Math.max(1_000, notifications.inFlightUntil - this.deps.clock.now()),
      );
    }
    const erasedSomething =
      userDeleted ||
      summary.events > 0 ||
      summary.notifications > 0 ||
      summary.attempts > 0 ||
      auditEntriesRedacted > 0;
    if (!erasedSomething) throw new NotFoundError('user', userId);
    return summary;
  }

  /**
   * Deletes every notification of the user, except one being sent right now (`sending` under a
   * live lease): its worker would record the attempt after the delete, leaving an orphan no
   * index finds. Such ones are reported; a repeat after the lease deletes them.
   */
  private async eraseNotifications(userId: string): Promise<{
    deleted: number;
    attempts: number;
    inFlight: number;
    inFlightUntil: number | undefined;
  }> {
    const { occurrences, personalData, clock } = this.deps;
    const seen = new Set<string>();
    let deleted = 0;
    let attempts = 0;
    let inFlightUntil: number | undefined;
    let inFlight = 0;
    for (let round = 0; round < MAX_ERASE_ROUNDS; round += 1) {
      const { items, truncated } = await personalData.occurrenceIdsOf(userId, ERASE_ROUND);
      const fresh = items.filter((id) => !seen.has(id));
      // The index may still show what was just deleted (a GSI is eventually consistent).
      if (fresh.length === 0) break;
      await mapLimited(fresh, READ_CONCURRENCY, async (id) => {
        seen.add(id);
        const occurrence = await occurrences.get(id);
        const now = clock.now();
        const leaseUntil = occurrence?.status === 'sending' ? (occurrence.leaseUntil ?? 0) : 0;
        const removed =
          leaseUntil > now ? undefined : await personalData.deleteOccurrence(id, occurrence?.version);
        if (removed === undefined) {
          inFlight += 1;
          inFlightUntil = Math.max(inFlightUntil ?? 0, leaseUntil, now);
          return;
        }
        if (occurrence) deleted += 1;
        attempts += removed;
      });
      if (!truncated) break;
    }
    return { deleted, attempts, inFlight, inFlightUntil };
  }
}
