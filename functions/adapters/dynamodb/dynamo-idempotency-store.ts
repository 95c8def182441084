import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStart, IdempotencyStore, StoredResponse } from '#ports/idempotency-store';
import { keys } from './table-layout';

/**
 * Idempotency records as single items. `expiresAt` is also the table's TTL attribute in AWS
 * (in seconds, `ttl`); expiry is checked on read as well, since TTL deletes late and dynalite
 * has no TTL at all.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(deps: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = deps.client;
    this.tableName = deps.tableName;
  }

  async begin(
    scope: string,
    fingerprint: string,
    now: number,
    leaseMs: number,
    retainMs: number,
  ): Promise<IdempotencyStart> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.idempotency(scope),
            entity: 'idempotency',
            state: 'pending',
            fingerprint,
            leaseUntil: now + leaseMs,
            expiresAt: now + retainMs,
            ttl: Math.ceil((now + retainMs) / 1000),
          },
          // Free, expired, or an unfinished claim whose owner is gone.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :now OR (#state = :pending AND leaseUntil <= :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':now': now, ':pending': 'pending' },
        }),
      );
      return { kind: 'started' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.idempotency(scope), ConsistentRead: true }),
    );
    // Gone in between (abandoned): the caller may simply retry.
    if (!Item) return { kind: 'in-progress' };
    if (Item.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (Item.state !== 'done') return { kind: 'in-progress' };
    return { kind: 'replay', response: Item.response as StoredResponse };
  }

  async complete(
    scope: string,
    fingerprint: string,
    response: StoredResponse,
    expiresAt: number,
  ): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.idempotency(scope),
          entity: 'idempotency',
          state: 'done',
          fingerprint,
          response,
          expiresAt,
          ttl: Math.ceil(expiresAt / 1000),
        },
      }),
    );
  }

  async abandon(scope: string): Promise<void> {
    await this.client
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.idempotency(scope),
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}
