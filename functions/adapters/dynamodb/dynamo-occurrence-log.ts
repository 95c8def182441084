import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetInOrder } from './batch-get';
import { createHash } from 'node:crypto';
import type { Occurrence } from '#domain/occurrence';
import type { OccurrenceLog, OccurrenceLogPage, OccurrenceLogQuery } from '#ports/occurrence-log';
import { bucketOf } from '#ports/scheduler-state';
import { InvalidCursorError } from '#ports/user-repository';
import { occurrenceFromItem, userOccurrencePartition } from './dynamo-occurrence-repository';
import { keys, LOG_INDEX, logPartitionOfBucket, USER_OCCURRENCE_INDEX } from './table-layout';

interface Options {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The shard count the occurrences were written with (DUE_SHARDS). */
  shards: number;
  /** Most index keys one request examines before it answers with a cursor (filters may drop them). */
  maxExamined?: number;
}

/** One index partition the window touches, in merge order (its position in `partitions`). */
interface Partition {
  index: { name: string; partition: string };
  key: string;
  /** Earliest `scheduledFor` this partition can hold (its month's start; 0 for a user's). */
  floor: number;
  /** Latest `scheduledFor` it can hold in this window (its month's end, or the window's). */
  ceiling: number;
}

/** Where a page stopped: the last examined key, in the merge order (scheduledFor desc, partition asc). */
interface Position {
  scheduledFor: number;
  partition: number;
  occurrenceId: string;
}

interface IndexKey {
  occurrenceId: string;
  scheduledFor: number;
}

interface PartitionReader {
  buffer: IndexKey[];
  startKey: Record<string, unknown> | undefined;
  exhausted: boolean;
  /** The `scheduledFor` range read, fixed by the first read (later reads go on from `startKey`). */
  bounds?: { low: number; high: number };
}

const DEFAULT_MAX_EXAMINED = 1_000;
const BATCH_GET_SIZE = 100;
const QUERY_CONCURRENCY = 16;
const OCC_PREFIX = 'OCC#';

/**
 * The notification log over the keys-only log index (`LOG#<UTC month>#<shard>`, `scheduledFor`)
 * and user-occurrence index (`USER#<userId>`, `scheduledFor`).
 *
 * A window covers at most 13 months × shards partitions (one, for a user). They are read side by
 * side, newest first, and merged in one total order: `scheduledFor` descending, then partition
 * (month descending, shard ascending), then DynamoDB's own order within a partition. The keys
 * are then fetched with BatchGetItem and filtered by status and type.
 *
 * The cursor is one position in that order, not one per partition: the last examined key
 * (`scheduledFor`, partition, occurrence id). Resuming, a partition before it in the order
 * continues below that instant, the partition itself from that exact key (ExclusiveStartKey),
 * the ones after it at that instant; so an item is never shown twice nor skipped, however many
 * share a due instant (everyone in one zone born on one day). The cursor also carries a digest
 * of the query, so it cannot be replayed against another window or filter.
 */
export class DynamoOccurrenceLog implements OccurrenceLog {
  private readonly maxExamined: number;

  constructor(private readonly options: Options) {
    this.maxExamined = options.maxExamined ?? DEFAULT_MAX_EXAMINED;
  }

  async list(query: OccurrenceLogQuery): Promise<OccurrenceLogPage> {
    const partitions = this.partitionsOf(query);
    const digest = digestOf(query);
    const position = query.cursor === undefined ? undefined : decodeCursor(query.cursor, digest);
    if (position && position.partition >= partitions.length) throw invalidCursor();

    const pageSize = Math.min(100, Math.max(10, query.limit));
    const readers = partitions.map((): PartitionReader => ({
      buffer: [],
      startKey: undefined,
      exhausted: false,
    }));
    const fill = async (at: number): Promise<void> => {
      const reader = readers[at];
      const partition = partitions[at];
      if (!reader || !partition || reader.exhausted || reader.buffer.length > 0) return;
      await this.fill(reader, partition, at, query, position, pageSize);
    };
    /**
     * The reader whose key comes next. Partitions are read lazily: an older month is queried
     * only once nothing newer can come before its newest possible key, so a page near the top
     * of a 13-month window reads one month's shards, not all 104 partitions.
     */
    const next = async (): Promise<number | undefined> => {
      for (;;) {
        const best = headOf(readers);
        const bestAt = best === undefined ? -Infinity : (readers[best]?.buffer[0]?.scheduledFor ?? -Infinity);
        const unread = partitions.flatMap((partition, at) => {
          const reader = readers[at];
          return reader && reader.bounds === undefined && !reader.exhausted && partition.ceiling >= bestAt
            ? [at]
            : [];
        });
        if (unread.length === 0) return best;
        await forEachLimited(unread, QUERY_CONCURRENCY, fill);
      }
    };

    // Only status and type are checked on the item; the indexes answer the rest exactly.
    const filtered = query.status !== undefined || query.eventKey !== undefined;
    const items: Occurrence[] = [];
    let last: Position | undefined = position;
    let examined = 0;
    for (;;) {
      const wanted = Math.min(
        filtered ? BATCH_GET_SIZE : query.limit - items.length,
        this.maxExamined - examined,
      );
      const batch: (IndexKey & { partition: number })[] = [];
      while (batch.length < wanted) {
        const at = await next();
        if (at === undefined) break;
        const key = readers[at]?.buffer.shift();
        if (key) batch.push({ ...key, partition: at });
        await fill(at);
      }
      if (batch.length === 0) break;
      const found = await this.batchGet(batch.map((key) => key.occurrenceId));
      let stoppedEarly = false;
      for (const key of batch) {
        examined += 1;
        last = { scheduledFor: key.scheduledFor, partition: key.partition, occurrenceId: key.occurrenceId };
        const occurrence = found.get(key.occurrenceId);
        if (occurrence && matches(occurrence, query)) items.push(occurrence);
        if (items.length >= query.limit) {
          stoppedEarly = key !== batch.at(-1);
          break;
        }
      }
      if (items.length >= query.limit || examined >= this.maxExamined) {
        const more = stoppedEarly || (await next()) !== undefined;
        return { items, nextCursor: more && last ? encodeCursor(last, digest) : null };
      }
    }
    return { items, nextCursor: null };
  }

  /** The partitions of the window, in merge order: newest month first, shards ascending. */
  private partitionsOf(query: OccurrenceLogQuery): Partition[] {
    if (query.userId !== undefined) {
      return [
        {
          index: USER_OCCURRENCE_INDEX,
          key: userOccurrencePartition(query.userId),
          floor: 0,
          ceiling: query.to - 1,
        },
      ];
    }
    const partitions: Partition[] = [];
    let ceiling = query.to - 1;
    for (
      let month = monthStartOf(query.to - 1);
      month >= monthStartOf(query.from);
      month = previousMonth(month)
    ) {
      for (let shard = 0; shard < this.options.shards; shard += 1) {
        partitions.push({
          index: LOG_INDEX,
          key: logPartitionOfBucket(bucketOf(month), shard),
          floor: month,
          ceiling,
        });
      }
      ceiling = month - 1;
    }
    return partitions;
  }

  /** The next page of one partition's keys, below the resume position. */
  private async fill(
    reader: PartitionReader,
    partition: Partition,
    at: number,
    query: OccurrenceLogQuery,
    position: Position | undefined,
    pageSize: number,
  ): Promise<void> {
    if (reader.bounds === undefined) {
      // First read of this partition: its bounds, and where a cursor resumes it.
      let high = query.to - 1;
      if (position) {
        high = Math.min(high, at < position.partition ? position.scheduledFor - 1 : position.scheduledFor);
        if (at === position.partition) {
          reader.startKey = {
            ...keys.occurrence(position.occurrenceId),
            [partition.index.partition]: partition.key,
            scheduledFor: position.scheduledFor,
          };
        }
      }
      reader.bounds = { low: Math.max(query.from, partition.floor), high };
    }
    const { bounds, startKey } = reader;
    if (bounds.high < bounds.low) {
      reader.exhausted = true;
      return;
    }
    const page = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: partition.index.name,
        KeyConditionExpression: '#pk = :pk AND #at BETWEEN :low AND :high',
        ExpressionAttributeNames: { '#pk': partition.index.partition, '#at': 'scheduledFor' },
        ExpressionAttributeValues: { ':pk': partition.key, ':low': bounds.low, ':high': bounds.high },
        ScanIndexForward: false,
        Limit: pageSize,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    reader.buffer = (page.Items ?? []).flatMap((item): IndexKey[] => {
      const { pk, scheduledFor } = item as Record<string, unknown>;
      if (typeof pk !== 'string' || !pk.startsWith(OCC_PREFIX) || typeof scheduledFor !== 'number') return [];
      return [{ occurrenceId: pk.slice(OCC_PREFIX.length), scheduledFor }];
    });
    reader.startKey = page.LastEvaluatedKey;
    reader.exhausted = page.LastEvaluatedKey === undefined;
    // A page emptied by nothing but its limit still has a successor: read on.
    if (reader.buffer.length === 0 && !reader.exhausted) {
      await this.fill(reader, partition, at, query, position, pageSize);
    }
  }

  /** The occurrences of `ids` that still exist, by id. */
  private async batchGet(ids: readonly string[]): Promise<Map<string, Occurrence>> {
    const items = await batchGetInOrder(
      this.options.client,
      this.options.tableName,
      ids.map((id) => keys.occurrence(id)),
    );
    return new Map(items.map(occurrenceFromItem).map((occurrence) => [occurrence.occurrenceId, occurrence]));
  }
}

function matches(occurrence: Occurrence, query: OccurrenceLogQuery): boolean {
  if (query.status !== undefined && occurrence.status !== query.status) return false;
  if (query.eventKey !== undefined && occurrence.eventKey !== query.eventKey) return false;
  if (query.userId !== undefined && occurrence.userId !== query.userId) return false;
  return true;
}

/** The reader whose next key comes first in the merge order; undefined when all are done. */
function headOf(readers: readonly PartitionReader[]): number | undefined {
  let best: number | undefined;
  let bestAt = -Infinity;
  readers.forEach((reader, at) => {
    const head = reader.buffer[0];
    // Ties go to the lower partition index, which comes first in the order.
    if (head && head.scheduledFor > bestAt) {
      best = at;
      bestAt = head.scheduledFor;
    }
  });
  return best;
}

/** 00:00 UTC on the 1st of the instant's month (set field by field: Date.UTC maps years 0-99 to 19xx). */
function monthStartOf(instant: number): number {
  const date = new Date(instant);
  date.setUTCDate(1);
  date.setUTCHours(0, 0, 0, 0);
  return date.getTime();
}

function previousMonth(monthStart: number): number {
  const date = new Date(monthStart);
  date.setUTCMonth(date.getUTCMonth() - 1);
  return date.getTime();
}

async function forEachLimited<T>(
  values: readonly T[],
  concurrency: number,
  run: (value: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, values.length) }, async () => {
    while (next < values.length) {
      const value = values[next] as T;
      next += 1;
      await run(value);
    }
  });
  await Promise.all(workers);
}

const CURSOR_VERSION = 1;
const OCCURRENCE_ID = /^occ_[0-9a-f]{32}$/;

const invalidCursor = (): InvalidCursorError =>
  new InvalidCursorError('cursor is not one this service issued');

/** A short digest of everything but the cursor and page size: a cursor belongs to one query. */
function digestOf(query: OccurrenceLogQuery): string {
  const { from, to, userId, status, eventKey } = query;
  return createHash('sha256')
    .update(JSON.stringify([from, to, userId ?? null, status ?? null, eventKey ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

function encodeCursor(position: Position, digest: string): string {
  const { scheduledFor, partition, occurrenceId } = position;
  return Buffer.from(
    JSON.stringify([CURSOR_VERSION, digest, scheduledFor, partition, occurrenceId]),
  ).toString('base64url');
}

/** @throws InvalidCursorError for anything but a cursor `encodeCursor` made for this query. */
function decodeCursor(cursor: string, digest: string): Position {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalidCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) throw invalidCursor();
  const [version, issuedFor, scheduledFor, partition, occurrenceId] = decoded as unknown[];
  if (
    version !== CURSOR_VERSION ||
    issuedFor !== digest ||
    !Number.isSafeInteger(scheduledFor) ||
    !Number.isSafeInteger(partition) ||
    (partition as number) < 0 ||
    typeof occurrenceId !== 'string' ||
    !OCCURRENCE_ID.test(occurrenceId)
  ) {
    throw invalidCursor();
  }
  return { scheduledFor: scheduledFor as number, partition: partition as number, occurrenceId };
}
