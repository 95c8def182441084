import type { AuditEntry } from '#ports/audit-log';

/** Some of what is indexed under a user, and whether more was left out. */
export interface Bounded<T> {
  items: T[];
  /** True when the cap was reached and more exists. */
  truncated: boolean;
}

/**
 * What the table holds about one user beyond the user and event items: the notifications
 * (occurrences with their attempts) and the audit entries about the user, both found through
 * the keys-only user-occurrence index (`USER#<userId>`), never by a Scan. For the privacy export
 * and erasure (issue 3, item 7).
 *
 * @example
 * const { items: ids } = await personalData.occurrenceIdsOf(userId, 10_000);
 * for (const id of ids) await personalData.deleteOccurrence(id, undefined);
 */
export interface PersonalDataStore {
  /** Ids of the user's occurrences, oldest due first, at most `max`. */
  occurrenceIdsOf(userId: string, max: number): Promise<Bounded<string>>;
  /** The audit entries about the user, oldest first, at most `max`. */
  auditEntriesAbout(userId: string, max: number): Promise<Bounded<AuditEntry>>;
  /**
   * Deletes an occurrence's attempts, then the occurrence itself, if it is still at
   * `expectedVersion` (`undefined`: whatever it is, or already gone). Attempts first, so a crash
   * leaves the occurrence, and with it the index entry a repeat finds.
   * @returns the number of attempts deleted, or `undefined` when the occurrence had moved on
   *   (a worker claimed it meanwhile): nothing of it but stale attempts was deleted.
   */
  deleteOccurrence(occurrenceId: string, expectedVersion: number | undefined): Promise<number | undefined>;
  /**
   * Removes `before` and `after` from every audit entry about the user, keeping who, when, what
   * and the ids. @returns how many entries still had them.
   */
  redactAuditAbout(userId: string): Promise<number>;
}
