import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keptAttemptRecord, type AttemptRecord, type Occurrence } from '#domain/occurrence';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import { batchGetInOrder } from './batch-get';
import { SingleItemReader, type ItemReader } from './item-reader';
import { queryPages } from './query-pages';
import { bucketOf } from '#ports/scheduler-state';
import {
  keys,
  LOG_INDEX,
  logPartitionOfBucket,
  shardOf,
  USER_OCCURRENCE_INDEX,
  WATCH_INDEX,
  watchPartition,
  watchPartitionOfBucket,
} from './table-layout';

interface Options {
  client: DynamoDBDocumentClient;
  tableName: string;
  /**
   * Write shards of the watch and log indexes (DUE_SHARDS everywhere): the scheduler reads
   * watch shards 0..watchShards-1, the notification log reads the same log shards.
   */
  watchShards: number;
  /** How single occurrences are read (the worker batches its reads); one GetItem each by default. */
  reader?: ItemReader;
}

const OCCURRENCE_ENTITY = 'occurrence';

/** `USER#<userId>`: the user-occurrence index partition of a user's occurrences. */
export const userOccurrencePartition = (userId: string): string => `USER#${userId}`;
const ATTEMPT_ENTITY = 'attempt';
/** The sort key prefix of attempt items (keys.attempt). */
export const ATTEMPT_PREFIX = 'ATTEMPT#';

/** Occurrences (one item each) and their attempts (items beside them in the same partition). */
export class DynamoOccurrenceRepository implements OccurrenceRepository {
  private readonly reader: ItemReader;

  constructor(private readonly options: Options) {
    this.reader = options.reader ?? new SingleItemReader(options);
  }

  async create(occurrence: Occurrence): Promise<boolean> {
    return this.conditionalPut(this.toItem(occurrence), 'attribute_not_exists(pk)');
  }

  async get(occurrenceId: string, options: { consistent?: boolean } = {}): Promise<Occurrence | undefined> {
    const item = await this.reader.read(keys.occurrence(occurrenceId), {
      consistent: options.consistent ?? true,
    });
    return item ? fromItem(item) : undefined;
  }

  async getMany(occurrenceIds: readonly string[]): Promise<Map<string, Occurrence>> {
    const items = await batchGetInOrder(
      this.options.client,
      this.options.tableName,
      occurrenceIds.map((id) => keys.occurrence(id)),
      { consistent: true },
    );
    return new Map(items.map((item) => fromItem(item)).map((found) => [found.occurrenceId, found]));
  }

  async save(occurrence: Occurrence): Promise<boolean> {
    // Version 1 follows a plan's version 0, which was never stored (ADR 0010).
    if (occurrence.version === 1) return this.create(occurrence);
    return this.conditionalPut(this.toItem(occurrence), 'version = :previous', {
      ':previous': occurrence.version - 1,
    });
  }

  async discard(occurrence: Occurrence): Promise<boolean> {
    try {
      await this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: keys.occurrence(occurrence.occurrenceId),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': occurrence.version },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recordAttempt(attempt: AttemptRecord): Promise<void> {
    await this.conditionalPut(
      { ...keys.attempt(attempt.occurrenceId, attempt.sequence), entity: ATTEMPT_ENTITY, ...attempt },
      'attribute_not_exists(pk)',
    );
  }

  /**
   * The attempt items and the first attempt kept on the occurrence item (keepsOnOccurrence):
   * one Query of the whole partition, so the kept one costs no read of its own. By sequence.
   */
  async listAttempts(occurrenceId: string): Promise<AttemptRecord[]> {
    const attempts: AttemptRecord[] = [];
    const { pk, sk: stateSk } = keys.occurrence(occurrenceId);
    for await (const items of queryPages(this.options.client, {
      TableName: this.options.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    })) {
      for (const item of items) {
        if (item.sk === stateSk) {
          const { firstAttempt } = fromItem(item);
          if (firstAttempt) attempts.push(keptAttemptRecord(occurrenceId, firstAttempt));
        } else if (String(item.sk).startsWith(ATTEMPT_PREFIX)) attempts.push(attemptFromItem(item));
      }
    }
    return attempts.sort((a, b) => a.sequence - b.sequence);
  }

  async *overdue(bucket: string, shard: number, until: number): AsyncIterable<string[]> {
    for await (const items of queryPages(this.options.client, {
      TableName: this.options.tableName,
      IndexName: WATCH_INDEX.name,
      KeyConditionExpression: '#pk = :pk AND #at <= :until',
      ExpressionAttributeNames: { '#pk': WATCH_INDEX.partition, '#at': WATCH_INDEX.sort },
      ExpressionAttributeValues: { ':pk': watchPartitionOfBucket(bucket, shard), ':until': until },
      Limit: 100,
    })) {
      yield items.map((item) => String(item.pk).slice('OCC#'.length));
    }
  }

  /**
   * The record as stored, plus the index keys (a put replaces all): the watch index's while it
   * is watched, the log and user indexes' always. Those two only move when `scheduledFor` does
   * (a reschedule), so rewriting them unchanged costs no index write.
   */
  private toItem(occurrence: Occurrence): Record<string, unknown> {
    const { watchAt } = occurrence;
    const shard = shardOf(occurrence.occurrenceId, this.options.watchShards);
    return {
      ...keys.occurrence(occurrence.occurrenceId),
      entity: OCCURRENCE_ENTITY,
      ...occurrence,
      [LOG_INDEX.partition]: logPartitionOfBucket(bucketOf(occurrence.scheduledFor), shard),
      [USER_OCCURRENCE_INDEX.partition]: userOccurrencePartition(occurrence.userId),
      ...(watchAt === undefined ? {} : { watchPk: watchPartition(watchAt, shard) }),
    };
  }

  private async conditionalPut(
    item: Record<string, unknown>,
    condition: string,
    values?: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** Drops the storage keys; the rest of the item is the record as it was written. */
function fromItem(item: Record<string, unknown>): Occurrence {
  const {
    pk: _pk,
    sk: _sk,
    entity: _entity,
    watchPk: _watchPk,
    logPk: _logPk,
    userPk: _userPk,
    ...rest
  } = item;
  return rest as unknown as Occurrence;
}

function attemptFromItem(item: Record<string, unknown>): AttemptRecord {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as AttemptRecord;
}

/** The occurrence an item of the table holds, for readers of its other indexes (the log). */
export const occurrenceFromItem = fromItem;
