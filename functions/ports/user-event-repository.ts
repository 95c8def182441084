import type { UserEvent } from '#domain/user-event';
import type { UserSchedule } from '#domain/user';
import type { RewindGuard } from './user-repository';

/**
 * A user's dated events other than the birthday: one item each (`USER#<userId>`/`EVENT#<id>`),
 * in the sparse slot index while they have a schedule, and in the list index under their
 * type (`EVENTS#<type>`), which is how a type is known to be in use.
 */
export interface UserEventRepository {
  /** @throws AlreadyExistsError when the id is taken. */
  create(event: UserEvent): Promise<void>;
  get(userId: string, eventId: string): Promise<UserEvent | undefined>;
  /** The user's events, oldest first (at most MAX_EVENTS_PER_USER: one Query). */
  listByUser(userId: string): Promise<UserEvent[]>;
  /** @returns false when there was nothing to delete. */
  delete(userId: string, eventId: string): Promise<boolean>;
  /**
   * Replaces the event if its stored version is still `expectedVersion`.
   * @throws NotFoundError when it does not exist, ConflictError when the version moved on.
   */
  replace(event: UserEvent, expectedVersion: number): Promise<void>;
  /** As UserRepository.advanceSchedule, for an event. */
  advanceSchedule(
    userId: string,
    eventId: string,
    expectedVersion: number,
    to: UserSchedule | null,
    writtenAt: number,
  ): Promise<boolean>;
  /** As UserRepository.rewindSchedule, for an event: the worker's repair after a type change. */
  rewindSchedule(userId: string, eventId: string, to: UserSchedule, guard: RewindGuard): Promise<boolean>;
  /** Whether any user has an event of this type (a custom type in use cannot be deleted). */
  hasEventsOfType(typeKey: string): Promise<boolean>;
}
