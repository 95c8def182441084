import type { StoredUser } from '#domain/user';
import type { UserEvent } from '#domain/user-event';

/**
 * How far the scheduler has got: per shard of the slot index, the instant up to which (inclusive)
 * every entry has been handled; `watermark` is the least of them.
 */
export interface SchedulerProgress {
  watermark: number;
  /** One mark per shard; absent on progress written before marks existed. */
  shards?: readonly number[];
  /** The now of the pass that wrote it (as read back; ignored on write, which takes `now`). */
  passedAt?: number;
  /** The now of the last pass that re-read the whole safety margin (SchedulerSettings). */
  fullMarginAt?: number;
}

/** The scheduler's watermark: everything due up to it has been handed on. */
export interface WatermarkStore {
  get(): Promise<SchedulerProgress | undefined>;
  set(progress: SchedulerProgress, now: number): Promise<void>;
}

/** The time bucket of the watch and log indexes: the UTC month `YYYY-MM` of an instant. */
export const bucketOf = (instantMs: number): string => new Date(instantMs).toISOString().slice(0, 7);

/** The first instant of the UTC month an instant falls in. */
export const startOfUtcMonth = (instantMs: number): number => {
  const date = new Date(instantMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
};

/** The first instant of the UTC month after the one an instant falls in. */
export const nextUtcMonth = (instantMs: number): number => {
  const date = new Date(instantMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
};

/**
 * The slot of an instant in the year-less due index (ADR 0009): its UTC month (1-12) and the ms
 * since that month began. The same local date and time falls on one slot every year unless a DST
 * rule or 29 February shifts its UTC instant.
 */
export function slotOf(instantMs: number): { monthOfYear: number; slotAt: number } {
  const date = new Date(instantMs);
  return {
    monthOfYear: date.getUTCMonth() + 1,
    slotAt: instantMs - startOfUtcMonth(instantMs),
  };
}

/** Whether two instants fall on the same slot (same UTC month of the year, same offset in it). */
export const sameSlot = (a: number, b: number): boolean => {
  const left = slotOf(a);
  const right = slotOf(b);
  return left.monthOfYear === right.monthOfYear && left.slotAt === right.slotAt;
};

/**
 * One item of the slot index (the year-less due index, ADR 0009) as found in one UTC month: a
 * user (its birthday) or one of a user's other events. Its `schedule` is the anchor, the
 * occurrence as last written, possibly of a past year; `at` is the instant its slot stands for
 * in the month read, the same local date and time some whole number of years on.
 */
export type DueEntry = ({ kind: 'birthday'; user: StoredUser } | { kind: 'event'; event: UserEvent }) & {
  at: number;
  /** Epoch ms of the item's last write; undefined on an item from before the attribute existed. */
  writtenAt?: number;
};

/** The sparse slot index, read one (UTC month, shard) at a time. */
export interface DueIndex {
  /**
   * Entries whose slot, in the UTC month beginning at `monthStart`, falls in [from, until]
   * (both clipped to that month), earliest first, in pages.
   */
  due(monthStart: number, shard: number, from: number, until: number): AsyncIterable<DueEntry[]>;
  readonly shards: number;
}
