import type { AttemptRecord, Occurrence } from '#domain/occurrence';

/**
 * Occurrences and their attempt log. Storage only: the state machine is in the domain
 * (functions/domain/occurrence.ts); every write here is a single-item conditional write.
 */
export interface OccurrenceRepository {
  /** @returns false when an occurrence with that id already exists (nothing written). */
  create(occurrence: Occurrence): Promise<boolean>;
  /**
   * Strongly consistent unless `consistent: false`: an eventually consistent read (half the
   * price) may miss a write of the last second or so, so callers use it only where a stale copy
   * is caught by a later conditional write on `version` (see DeliverOccurrence.load).
   */
  get(occurrenceId: string, options?: { consistent?: boolean }): Promise<Occurrence | undefined>;
  /**
   * The occurrences of `occurrenceIds` that exist, by id, strongly consistent (BatchGetItem, 100
   * per request): the scheduler's look at entries an earlier pass may have handled already.
   */
  getMany(occurrenceIds: readonly string[]): Promise<Map<string, Occurrence>>;
  /**
   * Writes `occurrence` (whose `version` is already the new one) if the stored version is still
   * `occurrence.version - 1`; version 1 (the first write of a planned occurrence, ADR 0010) only
   * if none is stored. @returns false when another writer got there first.
   */
  save(occurrence: Occurrence): Promise<boolean>;
  /**
   * Deletes the occurrence if it is still at `occurrence.version` (a worker's own claim-create of
   * a plan whose user turned out to be gone, ADR 0010: no record of that user may stay).
   * @returns false when it changed meanwhile (nothing deleted).
   */
  discard(occurrence: Occurrence): Promise<boolean>;
  /** Idempotent: the same sequence number written twice keeps the first. */
  recordAttempt(attempt: AttemptRecord): Promise<void>;
  listAttempts(occurrenceId: string): Promise<AttemptRecord[]>;
  /**
   * Ids of the occurrences of one (UTC month bucket, shard) watch partition whose `watchAt` is at or before
   * `until`, in pages: not final, and not moved on in time (their message may be lost).
   */
  overdue(bucket: string, shard: number, until: number): AsyncIterable<string[]>;
}
