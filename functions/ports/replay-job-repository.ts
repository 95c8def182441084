import type { ReplayJob } from '#domain/replay-job';

export interface ReplayJobPage {
  /** Oldest first. */
  items: ReplayJob[];
  nextCursor: string | null;
}

/**
 * Replay jobs, one item each. Storage only: the job's transitions are in the domain
 * (functions/domain/replay-job.ts); every write is a single-item conditional write.
 *
 * @example
 * if (!(await jobs.create(job))) job = (await jobs.get(job.id))!; // the same request ran before
 */
export interface ReplayJobRepository {
  /** @returns false when a job with that id exists already (nothing written). */
  create(job: ReplayJob): Promise<boolean>;
  get(id: string): Promise<ReplayJob | undefined>;
  /**
   * Writes `job` (whose `version` is already the new one) if the stored version is still
   * `job.version - 1`. @returns false when another writer got there first.
   */
  save(job: ReplayJob): Promise<boolean>;
  /** @throws InvalidCursorError for a cursor this repository did not issue. */
  list(limit: number, cursor?: string): Promise<ReplayJobPage>;
}
