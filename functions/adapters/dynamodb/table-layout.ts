/**
 * The single-table layout of Occasions: every key, index and attribute name in one place, so the
 * adapters, the local runtime, the tests and the CDK stack cannot drift apart.
 *
 * | entity        | pk                  | sk                 | indexes                               |
 * |---------------|---------------------|--------------------|---------------------------------------|
 * | user          | `USER#<userId>`     | `PROFILE`          | list (`USER`, id), due (while scheduled) |
 * | occurrence    | `OCC#<occurrenceId>`| `STATE`            | watch (while not final), log, user    |
 * | attempt       | `OCC#<occurrenceId>`| `ATTEMPT#<seq>`    | (a first attempt that delivered is kept on the occurrence: `firstAttempt`) |
 * | user event    | `USER#<userId>`     | `EVENT#<eventId>`  | list (`EVENTS#<type>`, userId#eventId), due (while scheduled) |
 * | event type    | `EVENTTYPE#<key>`   | `DEFINITION`       | list (`EVENTTYPE`, key)               |
 * | watermark     | `SCHEDULER`         | `WATERMARK`        |                                       |
 * | circuit       | `CIRCUIT#<endpoint>`| `STATE`            |                                       |
 * | API key       | `APIKEY#<keyId>`    | `KEY`              | list (`APIKEY`, keyId)                |
 * | idempotency   | `IDEMPOTENCY#<scope>`| `RESPONSE`        | (expires after 24 h)                  |
 * | audit entry   | `AUDIT#<UTC day>`   | `<id>`             | user (when about a user)              |
 * | replay job    | `REPLAY#<jobId>`    | `JOB`              | list (`REPLAY`, createdAt#jobId)      |
 *
 * The due index is sparse: an item is in it only while `duePk`/`dueAt` are set, i.e. while it has
 * a next occurrence that the scheduler has not yet handed to the queue. `duePk` is
 * `DUE#<UTC month of dueAt>#<shard>`: one partition per month and shard, so a pass reads only the
 * months between its watermark and now, and no partition takes more than its share of writes.
 */
import { bucketOf } from '#ports/scheduler-state';

export const TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;

export const DUE_INDEX = { name: 'due-index', partition: 'duePk', sort: 'dueAt' } as const;
/**
 * Keys only: users, event types, the events of a type, API keys, circuits and replay jobs by
 * partition (`listPk`) in `listSk` order. Readers fetch the items by key (`listIndexPage`), so
 * updates that keep the list keys (the yearly advance of every user) do not write the index.
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

/** Number of write shards per day of the due index (DESIGN core idea 1). */
export const DEFAULT_DUE_SHARDS = 8;

/**
 * Both time-keyed indexes are bucketed by UTC month (`YYYY-MM`) and shard. Writes land near "now"
 * (or on the same date next year) whatever the bucket's size, the shards spread them, and a
 * query with `<= now` reads only what is due; month buckets keep a pass after a long gap short
 * (a year of downtime: 13 buckets per shard, not 366).
 */

/** `DUE#YYYY-MM#<shard>`: the due-index partition of a bucket and shard. */
export const duePartitionOfBucket = (bucket: string, shard: number): string => `DUE#${bucket}#${shard}`;

/** `DUE#YYYY-MM#<shard>` for a due instant. */
export const duePartition = (dueAtMs: number, shard: number): string =>
  duePartitionOfBucket(bucketOf(dueAtMs), shard);

/** `WATCH#YYYY-MM#<shard>`: the watch-index partition of a bucket and shard. */
export const watchPartitionOfBucket = (bucket: string, shard: number): string => `WATCH#${bucket}#${shard}`;

/** `WATCH#YYYY-MM#<shard>` for a watch instant. */
export const watchPartition = (watchAtMs: number, shard: number): string =>
  watchPartitionOfBucket(bucketOf(watchAtMs), shard);

/**
 * The due-index attributes of an item with a next occurrence (a user's birthday, a user event):
 * none without one, so the item drops out of the sparse index. The shard follows `id`.
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
    duePk: duePartition(schedule.dueAt, shardOf(id, dueShards)),
  };
}

/** A stable shard for an item, so rescheduling the same item keeps it on one shard. */
export function shardOf(id: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % shards;
}
