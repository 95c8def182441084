import type { StoredUser } from '#domain/user';
import type { UserEvent } from '#domain/user-event';

/** The scheduler's watermark: everything due before it has been handed on. */
export interface WatermarkStore {
  get(): Promise<number | undefined>;
  set(watermark: number, now: number): Promise<void>;
}

/** The time bucket of the due and watch indexes: the UTC month `YYYY-MM` of an instant. */
export const bucketOf = (instantMs: number): string => new Date(instantMs).toISOString().slice(0, 7);

/** One item of the due index: a user (its birthday) or one of a user's other events. */
export type DueEntry = { kind: 'birthday'; user: StoredUser } | { kind: 'event'; event: UserEvent };

/** The sparse due index, read one (UTC month bucket `YYYY-MM`, shard) partition at a time. */
export interface DueIndex {
  /** Entries whose next occurrence is due at or before `until`, oldest first, in pages. */
  due(bucket: string, shard: number, until: number): AsyncIterable<DueEntry[]>;
  readonly shards: number;
}
