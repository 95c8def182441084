import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AttemptRecord, Occurrence } from '#domain/occurrence';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import { keys } from './table-layout';

interface Options {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const OCCURRENCE_ENTITY = 'occurrence';
const ATTEMPT_ENTITY = 'attempt';

/** Occurrences (one item each) and their attempts (items beside them in the same partition). */
export class DynamoOccurrenceRepository implements OccurrenceRepository {
  constructor(private readonly options: Options) {}

  async create(occurrence: Occurrence): Promise<boolean> {
    return this.conditionalPut(toItem(occurrence), 'attribute_not_exists(pk)');
  }

  async get(occurrenceId: string): Promise<Occurrence | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: keys.occurrence(occurrenceId),
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async save(occurrence: Occurrence): Promise<boolean> {
    return this.conditionalPut(toItem(occurrence), 'version = :previous', {
      ':previous': occurrence.version - 1,
    });
  }

  async recordAttempt(attempt: AttemptRecord): Promise<void> {
    await this.conditionalPut(
      { ...keys.attempt(attempt.occurrenceId, attempt.sequence), entity: ATTEMPT_ENTITY, ...attempt },
      'attribute_not_exists(pk)',
    );
  }

  async listAttempts(occurrenceId: string): Promise<AttemptRecord[]> {
    const attempts: AttemptRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.occurrence(occurrenceId).pk, ':prefix': 'ATTEMPT#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) attempts.push(attemptFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return attempts;
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

function toItem(occurrence: Occurrence): Record<string, unknown> {
  return { ...keys.occurrence(occurrence.occurrenceId), entity: OCCURRENCE_ENTITY, ...occurrence };
}

/** Drops the storage keys; the rest of the item is the record as it was written. */
function fromItem(item: Record<string, unknown>): Occurrence {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as Occurrence;
}

function attemptFromItem(item: Record<string, unknown>): AttemptRecord {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as AttemptRecord;
}
