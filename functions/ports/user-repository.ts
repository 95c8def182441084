import type { StoredUser, UserSchedule } from '#domain/user';

export interface UserPage {
  items: StoredUser[];
  /** Opaque; `null` on the last page. */
  nextCursor: string | null;
}

/**
 * Users and their birthday schedule, one item each (so every change is a single-item
 * conditional write). The item is in the due index while `schedule` is set.
 */
export interface UserRepository {
  /** @throws AlreadyExistsError when the id is taken. */
  create(user: StoredUser): Promise<void>;
  get(id: string): Promise<StoredUser | undefined>;
  /**
   * Replaces the user if its stored version is still `expectedVersion`.
   * @throws NotFoundError when it does not exist, ConflictError when the version moved on.
   */
  replace(user: StoredUser, expectedVersion: number): Promise<void>;
  /** @returns false when there was nothing to delete. */
  /**
   * @param expectedVersion when given, deletes only at that version
   * @returns false when there was no such user
   * @throws ConflictError when `expectedVersion` is given and the user is at another version (or gone)
   */
  delete(id: string, expectedVersion?: number): Promise<boolean>;
  /** Users in creation order (ids are time-ordered). @throws InvalidCursorError on a bad cursor. */
  list(limit: number, cursor?: string): Promise<UserPage>;
  /**
   * Moves the schedule to `to` (`null` removes it from the slot index), only if the user is still
   * at `expectedVersion`, the version the scheduler built the occurrence from (the index is read
   * eventually consistently). `writtenAt`: the scheduler's now (ADR 0009, the margin rule).
   * @returns false when it had changed (an edit won).
   */
  advanceSchedule(
    userId: string,
    expectedVersion: number,
    to: UserSchedule | null,
    writtenAt: number,
  ): Promise<boolean>;
  /**
   * Moves the birthday's schedule back to `to` if the user still exists and is either still at
   * the version the worker read, or has no schedule, or one later than `to`: the worker's repair
   * of a birthday whose queued occurrence went stale through a change of its type (ADR 0006,
   * 0009). @returns whether it moved.
   */
  rewindSchedule(userId: string, to: UserSchedule, guard: RewindGuard): Promise<boolean>;
}

/** What the worker knew when it decided to rewind a schedule (see rewindSchedule). */
export interface RewindGuard {
  /** The item's version as the worker read it. */
  readVersion: number;
  /**
   * The anchor's `dueAt` as the worker read it: an edit that kept the schedule (a new name)
   * bumps the version but leaves the anchor, and must not refuse the rewind.
   */
  readDueAt?: number;
  /** Epoch ms of the write, the worker's now (ADR 0009, the margin rule). */
  writtenAt: number;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}
