import type { StoredUser } from '#domain/user';

/** The scheduler's watermark: everything due before it has been handed on. */
export interface WatermarkStore {
  get(): Promise<number | undefined>;
  set(watermark: number, now: number): Promise<void>;
}

/** The sparse due index, read one (UTC day, shard) partition at a time. */
export interface DueIndex {
  /** Users whose next occurrence is due at or before `until`, oldest first, in pages. */
  due(day: string, shard: number, until: number): AsyncIterable<StoredUser[]>;
  readonly shards: number;
}
