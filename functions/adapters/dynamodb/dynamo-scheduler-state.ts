import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  nextUtcMonth,
  slotOf,
  type DueEntry,
  type DueIndex,
  type SchedulerProgress,
  type WatermarkStore,
} from '#ports/scheduler-state';
import { USER_EVENT_ENTITY, userEventFromItem } from './dynamo-user-event-repository';
import { userFromItem } from './dynamo-user-repository';
import { queryPages } from './query-pages';
import { SLOT_INDEX, WRITTEN_AT, keys, slotPartition } from './table-layout';

interface Options {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** The watermark is one small item; its history is not needed, only the latest value. */
export class DynamoWatermarkStore implements WatermarkStore {
  constructor(private readonly options: Options) {}

  async get(): Promise<SchedulerProgress | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.watermark(), ConsistentRead: true }),
    );
    if (typeof Item?.watermark !== 'number') return undefined;
    const shards: unknown = Item.shardMarks;
    const marks =
      Array.isArray(shards) && shards.every((mark): mark is number => typeof mark === 'number')
        ? shards
        : undefined;
    const passedAt = typeof Item.updatedAt === 'number' ? { passedAt: Item.updatedAt } : {};
    const fullMarginAt = typeof Item.fullMarginAt === 'number' ? { fullMarginAt: Item.fullMarginAt } : {};
    return { watermark: Item.watermark, ...(marks ? { shards: marks } : {}), ...passedAt, ...fullMarginAt };
  }

  async set(progress: SchedulerProgress, now: number): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...keys.watermark(),
          entity: 'watermark',
          watermark: progress.watermark,
          ...(progress.shards ? { shardMarks: [...progress.shards] } : {}),
          ...(progress.fullMarginAt === undefined ? {} : { fullMarginAt: progress.fullMarginAt }),
          updatedAt: now,
        },
      }),
    );
  }
}

/**
 * Reads the slot index (ADR 0009): one (UTC month of the year, shard) partition per call, between
 * two offsets into the month asked for. A Query, never a Scan.
 */
export class DynamoDueIndex implements DueIndex {
  constructor(private readonly options: Options & { shards: number; pageSize?: number }) {}

  get shards(): number {
    return this.options.shards;
  }

  async *due(monthStart: number, shard: number, from: number, until: number): AsyncIterable<DueEntry[]> {
    const monthEnd = nextUtcMonth(monthStart) - 1;
    const lowest = Math.max(from, monthStart) - monthStart;
    const highest = Math.min(until, monthEnd) - monthStart;
    if (lowest > highest) return;
    for await (const items of queryPages(this.options.client, {
      TableName: this.options.tableName,
      IndexName: SLOT_INDEX.name,
      // Entries stay in the index after they are handled, so the lower bound matters as much.
      KeyConditionExpression: '#pk = :pk AND #slot BETWEEN :lowest AND :highest',
      ExpressionAttributeNames: { '#pk': SLOT_INDEX.partition, '#slot': SLOT_INDEX.sort },
      ExpressionAttributeValues: {
        ':pk': slotPartition(slotOf(monthStart).monthOfYear, shard),
        ':lowest': lowest,
        ':highest': highest,
      },
      Limit: this.options.pageSize ?? 100,
    })) {
      yield items.map((item) => dueEntryOf(item, monthStart));
    }
  }
}

/** Users (their birthday) and their other events share the index; the entity tells which. */
function dueEntryOf(item: Record<string, unknown>, monthStart: number): DueEntry {
  const slotAt = item[SLOT_INDEX.sort];
  if (typeof slotAt !== 'number')
    throw new Error(`slot-index item ${String(item.pk)}: no ${SLOT_INDEX.sort}`);
  const writtenAt = item[WRITTEN_AT];
  const seen = { at: monthStart + slotAt, ...(typeof writtenAt === 'number' ? { writtenAt } : {}) };
  return item.entity === USER_EVENT_ENTITY
    ? { kind: 'event', event: userEventFromItem(item), ...seen }
    : { kind: 'birthday', user: userFromItem(item), ...seen };
}
