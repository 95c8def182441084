import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DueEntry, DueIndex, WatermarkStore } from '#ports/scheduler-state';
import { USER_EVENT_ENTITY, userEventFromItem } from './dynamo-user-event-repository';
import { userFromItem } from './dynamo-user-repository';
import { queryPages } from './query-pages';
import { DUE_INDEX, duePartitionOfBucket, keys } from './table-layout';

interface Options {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** The watermark is one small item; its history is not needed, only the latest value. */
export class DynamoWatermarkStore implements WatermarkStore {
  constructor(private readonly options: Options) {}

  async get(): Promise<number | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.watermark(), ConsistentRead: true }),
    );
    return typeof Item?.watermark === 'number' ? Item.watermark : undefined;
  }

  async set(watermark: number, now: number): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { ...keys.watermark(), entity: 'watermark', watermark, updatedAt: now },
      }),
    );
  }
}

/** Reads one (month, shard) partition of the sparse due index: a Query, never a Scan. */
export class DynamoDueIndex implements DueIndex {
  constructor(private readonly options: Options & { shards: number; pageSize?: number }) {}

  get shards(): number {
    return this.options.shards;
  }

  async *due(bucket: string, shard: number, until: number): AsyncIterable<DueEntry[]> {
    for await (const items of queryPages(this.options.client, {
      TableName: this.options.tableName,
      IndexName: DUE_INDEX.name,
      KeyConditionExpression: '#pk = :pk AND #due <= :until',
      ExpressionAttributeNames: { '#pk': DUE_INDEX.partition, '#due': DUE_INDEX.sort },
      ExpressionAttributeValues: { ':pk': duePartitionOfBucket(bucket, shard), ':until': until },
      Limit: this.options.pageSize ?? 100,
    })) {
      // Users (their birthday) and their other events share the index; the entity tells which.
      yield items.map((item): DueEntry =>
        item.entity === USER_EVENT_ENTITY
          ? { kind: 'event', event: userEventFromItem(item) }
          : { kind: 'birthday', user: userFromItem(item) },
      );
    }
  }
}
