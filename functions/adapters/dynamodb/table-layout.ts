/**
 * The single-table layout of Occasions: every key, index and attribute name in one place, so the
 * adapters, the local runtime, the tests and the CDK stack cannot drift apart.
 *
 * | entity        | pk                  | sk                 | indexes                               |
 * |---------------|---------------------|--------------------|---------------------------------------|
 * | user          | `USER#<userId>`     | `PROFILE`          | list (`USER`, id), slot (while scheduled) |
 * | occurrence    | `OCC#<occurrenceId>`| `STATE`            | watch (while not final), log, user    |
 * | attempt       | `OCC#<occurrenceId>`| `ATTEMPT#<seq>`    | (a first attempt that delivered is kept on the occurrence: `firstAttempt`) |
 * | user event    | `USER#<userId>`     | `EVENT#<eventId>`  | list (`EVENTS#<type>`, userId#eventId), slot (while scheduled) |
 * | event type    | `EVENTTYPE#<key>`   | `DEFINITION`       | list (`EVENTTYPE`, key)               |
 * | watermark     | `SCHEDULER`         | `WATERMARK`        |                                       |
 * | circuit       | `CIRCUIT#<endpoint>`| `STATE`            |                                       |
 * | API key       | `APIKEY#<keyId>`    | `KEY`              | list (`APIKEY`, keyId)                |
 * | idempotency   | `IDEMPOTENCY#<scope>`| `RESPONSE`        | (expires after 24 h)                  |
 * | audit entry   | `AUDIT#<UTC day>`   | `<id>`             | user (when about a user)              |
 * | replay job    | `REPLAY#<jobId>`    | `JOB`              | list (`REPLAY`, createdAt#jobId)      |
 *
 * The slot index is the due index, year-less (ADR 0009). An item is in it while it has a
 * schedule: `nextLocalDate`/`dueAt` (the anchor: the occurrence as last written by the API, a
 * re-key or a rewind, possibly of a past year) and its slot, `slotPk` = `SLOT#<UTC month of year
 * MM>#<shard>` and `slotAt` = ms from the start of that UTC month. The slot recurs every year
 * the anchor's instant does, so handling an occurrence writes nothing when next year's falls on
 * the same slot (most of them); only a shift (DST rules, 29 February, a rule change) re-keys the
 * item. `writtenAt` (epoch ms of the item's last write) lets a pass skip, without a request, an
 * entry that an earlier pass has certainly seen (the margin rule in schedule-due.use-case.ts).
 */
import { bucketOf, slotOf } from '#ports/scheduler-state';

export const TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;

/** Sparse, ALL projection (a pass needs no second read): see the header and ADR 0009. */
export const SLOT_INDEX = { name: 'slot-index', partition: 'slotPk', sort: 'slotAt' } as const;
/** Epoch ms of the last write of a scheduled item (user, user event): see the margin rule. */
export const WRITTEN_AT = 'writtenAt';
/**
 * Keys only: users, event types, the events of a type, API keys, circuits and replay jobs by
 * partition (`listPk`) in `listSk` order. Readers fetch the items by key (`listIndexPage`), so
 * updates that keep the list keys (a user's re-key, a circuit's state) do not write the index.
 */
export const LIST_INDEX = { name: 'list-index', partition: 'listPk', sort: 'listSk' } as const;
/**
 * Sparse, keys only: occurrences not yet final, by the instant they must have moved on by
 * (`WATCH#<UTC month>#<shard>`, `watchAt`). Keys only, so the status changes of an occurrence do
 * not write the index; only a new `watchAt` does.
 */
export const WATCH_INDEX = { name: 'watch-index', partition: 'watchPk', sort: 'watchAt' } as const;

/**
 * Keys only: every occurrence by the UTC month and shard of the instant it was due
 * (`LOG#<UTC month>#<shard>`, `scheduledFor`), for the notification log's time-range listing.
 * Written once, when the occurrence is created (keys only: status changes do not write it).
 */
export const LOG_INDEX = { name: 'log-index', partition: 'logPk', sort: 'scheduledFor' } as const;
/**
 * Keys only: every occurrence of a user (`USER#<userId>`, `scheduledFor`), for the log's user
 * filter, the privacy export and erasure. Written once, when the occurrence is created.
 *
 * Audit entries about a user (resource `user`, `user-preferences`, `user-event`, or a
 * `notification` of the user) are in it too: `userPk = USER#<userId>` and `scheduledFor` = the
 * entry's instant (epoch ms), so export and erasure find them without walking the audit log's
 * days. Readers tell them apart by `pk` (`OCC#…` or `AUDIT#…`). Bulk summaries (`user-bulk`) hold
 * ids only and are not indexed.
 */
export const USER_OCCURRENCE_INDEX = {
  name: 'user-occurrence-index',
  partition: 'userPk',
  sort: 'scheduledFor',
} as const;

/** `LOG#YYYY-MM#<shard>`: the log-index partition of a bucket and shard. */
export const logPartitionOfBucket = (bucket: string, shard: number): string => `LOG#${bucket}#${shard}`;

export const keys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  occurrence: (occurrenceId: string) => ({ pk: `OCC#${occurrenceId}`, sk: 'STATE' }),
  attempt: (occurrenceId: string, sequence: number) => ({
    pk: `OCC#${occurrenceId}`,
    sk: `ATTEMPT#${String(sequence).padStart(4, '0')}`,
  }),
  userEvent: (userId: string, eventId: string) => ({ pk: `USER#${userId}`, sk: `EVENT#${eventId}` }),
  eventType: (key: string) => ({ pk: `EVENTTYPE#${key}`, sk: 'DEFINITION' }),
  watermark: () => ({ pk: 'SCHEDULER', sk: 'WATERMARK' }),
  circuit: (endpointKey: string) => ({ pk: `CIRCUIT#${endpointKey}`, sk: 'STATE' }),
  apiKey: (keyId: string) => ({ pk: `APIKEY#${keyId}`, sk: 'KEY' }),
  idempotency: (scope: string) => ({ pk: `IDEMPOTENCY#${scope}`, sk: 'RESPONSE' }),
  audit: (day: string, sortKey: string) => ({ pk: `AUDIT#${day}`, sk: sortKey }),
  replayJob: (jobId: string) => ({ pk: `REPLAY#${jobId}`, sk: 'JOB' }),
} as const;

/** Partition key of the list index for users; the sort key is the (time-ordered) user id. */
export const USER_LIST_PARTITION = 'USER';
/** Partition key of the list index for event types; the sort key is the type's key. */
export const EVENT_TYPE_LIST_PARTITION = 'EVENTTYPE';
/** Partition key of the list index for the events of one type (is the type in use?). */
export const eventsOfTypePartition = (typeKey: string): string => `EVENTS#${typeKey}`;
/** Partition key of the list index for API keys; the sort key is the (time-ordered) key id. */
export const API_KEY_LIST_PARTITION = 'APIKEY';
/** Partition key of the list index for replay jobs; the sort key is `<ISO createdAt>#<jobId>`. */
export const REPLAY_JOB_LIST_PARTITION = 'REPLAY';

/** Number of write shards per month of the slot index (DESIGN core idea 1). */
export const DEFAULT_DUE_SHARDS = 8;

/**
 * The watch and log indexes are bucketed by UTC month (`YYYY-MM`) and shard. Writes land near
 * "now" whatever the bucket's size, the shards spread them, and a query with `<= now` reads only
 * what is due; month buckets keep a pass after a long gap short (a year of downtime: 13 buckets
 * per shard, not 366). The slot index is bucketed by UTC month of the year (`MM`) and shard.
 */

/** `SLOT#MM#<shard>`: the slot-index partition of a UTC month of the year (1-12) and shard. */
export const slotPartition = (monthOfYear: number, shard: number): string =>
  `SLOT#${String(monthOfYear).padStart(2, '0')}#${shard}`;

/** The slot-index keys of a due instant on a shard. */
export function slotKeysOf(dueAtMs: number, shard: number): { slotPk: string; slotAt: number } {
  const { monthOfYear, slotAt } = slotOf(dueAtMs);
  return { slotPk: slotPartition(monthOfYear, shard), slotAt };
}

/** `WATCH#YYYY-MM#<shard>`: the watch-index partition of a bucket and shard. */
export const watchPartitionOfBucket = (bucket: string, shard: number): string => `WATCH#${bucket}#${shard}`;

/** `WATCH#YYYY-MM#<shard>` for a watch instant. */
export const watchPartition = (watchAtMs: number, shard: number): string =>
  watchPartitionOfBucket(bucketOf(watchAtMs), shard);

/**
 * The slot-index attributes of an item with a schedule (a user's birthday, a user event): the
 * anchor (`nextLocalDate`, `dueAt`) and its slot; none without one, so the item drops out of the
 * sparse index. The shard follows `id`.
 */
export function dueAttributesOf(
  schedule: { localDate: string; dueAt: number } | null | undefined,
  id: string,
  dueShards: number,
): Record<string, string | number> {
  if (!schedule) return {};
  return {
    nextLocalDate: schedule.localDate,
    dueAt: schedule.dueAt,
    ...slotKeysOf(schedule.dueAt, shardOf(id, dueShards)),
  };
}

/** A stable shard for an item, so rescheduling the same item keeps it on one shard. */
export function shardOf(id: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % shards;
}
