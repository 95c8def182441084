/**
 * The single-table layout of Occasions: every key, index and attribute name in one place, so the
 * adapters, the local runtime, the tests and the CDK stack cannot drift apart.
 *
 * | entity        | pk                  | sk                 | indexes                               |
 * |---------------|---------------------|--------------------|---------------------------------------|
 * | user          | `USER#<userId>`     | `PROFILE`          | list (`USER`, id), due (while scheduled) |
 * | occurrence    | `OCC#<occurrenceId>`| `STATE`            |                                       |
 * | attempt       | `OCC#<occurrenceId>`| `ATTEMPT#<seq>`    |                                       |
 * | watermark     | `SCHEDULER`         | `WATERMARK`        |                                       |
 * | circuit       | `CIRCUIT#<endpoint>`| `STATE`            |                                       |
 *
 * The due index is sparse: an item is in it only while `duePk`/`dueAt` are set, i.e. while it has
 * a next occurrence that the scheduler has not yet handed to the queue. `duePk` is
 * `DUE#<UTC day of dueAt>#<shard>`: one partition per day and shard, so a pass reads only the
 * days between its watermark and now, and no partition takes more than its share of writes.
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;

export const DUE_INDEX = { name: 'due-index', partition: 'duePk', sort: 'dueAt' } as const;
export const LIST_INDEX = { name: 'list-index', partition: 'listPk', sort: 'listSk' } as const;

export const keys = {
  user: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  occurrence: (occurrenceId: string) => ({ pk: `OCC#${occurrenceId}`, sk: 'STATE' }),
  attempt: (occurrenceId: string, sequence: number) => ({
    pk: `OCC#${occurrenceId}`,
    sk: `ATTEMPT#${String(sequence).padStart(4, '0')}`,
  }),
  watermark: () => ({ pk: 'SCHEDULER', sk: 'WATERMARK' }),
  circuit: (endpointKey: string) => ({ pk: `CIRCUIT#${endpointKey}`, sk: 'STATE' }),
} as const;

/** Partition key of the list index for users; the sort key is the (time-ordered) user id. */
export const USER_LIST_PARTITION = 'USER';

/** Number of write shards per day of the due index (DESIGN core idea 1). */
export const DEFAULT_DUE_SHARDS = 8;

/** `DUE#YYYY-MM-DD#<shard>` for an instant (UTC day) and a shard number. */
export function duePartition(dueAtMs: number, shard: number): string {
  return duePartitionOfDay(new Date(dueAtMs).toISOString().slice(0, 10), shard);
}

/** `DUE#YYYY-MM-DD#<shard>` for a UTC day. */
export function duePartitionOfDay(day: string, shard: number): string {
  return `DUE#${day}#${shard}`;
}

/** A stable shard for an item, so rescheduling the same item keeps it on one shard. */
export function shardOf(id: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % shards;
}
