import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from './table-layout';

export type TableKey = Record<string, unknown>;

/** BatchGetItem takes at most 100 keys per request. */
const MAX_KEYS_PER_REQUEST = 100;
/** Rounds of UnprocessedKeys before giving up: DynamoDB returns them only when throttling. */
const MAX_ROUNDS = 10;
const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 1_000;

/**
 * The items of `keys` that exist, in the order of `keys` (BatchGetItem answers in any order):
 * 100 keys per request, UnprocessedKeys retried with exponential backoff. Keys whose item is gone
 * (deleted after an index listed it) are left out. Eventually consistent unless asked, like the
 * index read that produced the keys: half the read units of a strongly consistent read.
 *
 * @example
 * const users = await batchGetInOrder(client, 'occasions', [keys.user('a'), keys.user('b')]);
 */
export async function batchGetInOrder(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly TableKey[],
  options: { consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const found = new Map<string, Record<string, unknown>>();
  for (let start = 0; start < keys.length; start += MAX_KEYS_PER_REQUEST) {
    let pending: TableKey[] = keys.slice(start, start + MAX_KEYS_PER_REQUEST).map((key) => ({
      [TABLE_KEYS.partition]: key[TABLE_KEYS.partition],
      [TABLE_KEYS.sort]: key[TABLE_KEYS.sort],
    }));
    // A key listed twice would make BatchGetItem reject the whole request.
    pending = [...new Map(pending.map((key) => [identityOf(key), key])).values()];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) throw new Error('BatchGetItem kept leaving keys unprocessed');
      if (round > 0) await sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (round - 1)));
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) },
          },
        }),
      );
      for (const item of Responses?.[tableName] ?? []) found.set(identityOf(item), item);
      pending = UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return keys.flatMap((key) => {
    const item = found.get(identityOf(key));
    return item ? [item] : [];
  });
}

function identityOf(item: TableKey): string {
  return JSON.stringify([item[TABLE_KEYS.partition], item[TABLE_KEYS.sort]]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
