import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '#ports/audit-log';
import type { Bounded, PersonalDataStore } from '#ports/personal-data';
import { entryOf } from './dynamo-audit-log';
import { ATTEMPT_PREFIX, userOccurrencePartition } from './dynamo-occurrence-repository';
import { queryPages } from './query-pages';
import { batchGetInOrder } from './batch-get';
import { keys, USER_OCCURRENCE_INDEX } from './table-layout';

const OCC_PREFIX = 'OCC#';
const AUDIT_PREFIX = 'AUDIT#';
const BATCH_GET_SIZE = 100;

interface TableKey {
  pk: string;
  sk: string;
}

/**
 * PersonalDataStore on the single table: one Query of the keys-only user-occurrence index finds
 * the user's occurrences (`OCC#…`) and the audit entries about the user (`AUDIT#…`); attempts
 * are beside their occurrence (`ATTEMPT#…`).
 */
export class DynamoPersonalDataStore implements PersonalDataStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async occurrenceIdsOf(userId: string, max: number): Promise<Bounded<string>> {
    const { items, truncated } = await this.indexed(userId, OCC_PREFIX, max);
    return { items: items.map((key) => key.pk.slice(OCC_PREFIX.length)), truncated };
  }

  async auditEntriesAbout(userId: string, max: number): Promise<Bounded<AuditEntry>> {
    const { items: found, truncated } = await this.indexed(userId, AUDIT_PREFIX, max);
    const entries = new Map<string, AuditEntry>();
    for (let start = 0; start < found.length; start += BATCH_GET_SIZE) {
      for (const item of await this.batchGet(found.slice(start, start + BATCH_GET_SIZE))) {
        entries.set(`${String(item.pk)}|${String(item.sk)}`, entryOf(item));
      }
    }
    // In index order (oldest first); an entry gone between the Query and the read is left out.
    const items = found.flatMap((key) => {
      const entry = entries.get(`${key.pk}|${key.sk}`);
      return entry ? [entry] : [];
    });
    return { items, truncated };
  }

  async deleteOccurrence(
    occurrenceId: string,
    expectedVersion: number | undefined,
  ): Promise<number | undefined> {
    const { client, tableName } = this.options;
    let deleted = 0;
    const state = keys.occurrence(occurrenceId);
    // The whole partition: the attempt items, and the occurrence itself for the first attempt
    // kept on it (it goes with the occurrence item below, and counts as an attempt erased).
    for await (const items of queryPages(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': state.pk },
      ProjectionExpression: 'pk, sk, firstAttempt',
      ConsistentRead: true,
    })) {
      for (const item of items) {
        if (item.sk === state.sk) {
          if (item.firstAttempt !== undefined) deleted += 1;
          continue;
        }
        if (!String(item.sk).startsWith(ATTEMPT_PREFIX)) continue;
        await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
        deleted += 1;
      }
    }
    try {
      await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: keys.occurrence(occurrenceId),
          ...(expectedVersion === undefined
            ? {}
            : {
                ConditionExpression: 'attribute_not_exists(pk) OR version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    return deleted;
  }

  async redactAuditAbout(userId: string): Promise<number> {
    const { items } = await this.indexed(userId, AUDIT_PREFIX, Number.POSITIVE_INFINITY);
    let redacted = 0;
    for (const key of items) {
      try {
        await this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: key,
            UpdateExpression: 'REMOVE #before, #after',
            // Only entries that still hold something (and still exist): a repeat counts nothing.
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_exists(#before) OR attribute_exists(#after))',
            ExpressionAttributeNames: { '#before': 'before', '#after': 'after' },
          }),
        );
        redacted += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return redacted;
  }

  /** Table keys under `USER#<userId>` in the user-occurrence index whose pk has `prefix`, oldest first. */
  private async indexed(userId: string, prefix: string, max: number): Promise<Bounded<TableKey>> {
    const items: TableKey[] = [];
    for await (const page of queryPages(this.options.client, {
      TableName: this.options.tableName,
      IndexName: USER_OCCURRENCE_INDEX.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': USER_OCCURRENCE_INDEX.partition },
      ExpressionAttributeValues: { ':pk': userOccurrencePartition(userId) },
    })) {
      for (const item of page) {
        const { pk, sk } = item;
        if (typeof pk !== 'string' || typeof sk !== 'string' || !pk.startsWith(prefix)) continue;
        if (items.length >= max) return { items, truncated: true };
        items.push({ pk, sk });
      }
    }
    return { items, truncated: false };
  }

  /** The items of `keys` that exist, in the order of `keys`. */
  private batchGet(tableKeys: readonly TableKey[]): Promise<Record<string, unknown>[]> {
    return batchGetInOrder(
      this.options.client,
      this.options.tableName,
      tableKeys.map(({ pk, sk }) => ({ pk, sk })),
    );
  }
}
