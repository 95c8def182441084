import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGetInOrder } from '#adapters/dynamodb/batch-get';
import { listIndexAll, listIndexPage } from '#adapters/dynamodb/list-index';
import { LIST_INDEX } from '#adapters/dynamodb/table-layout';
import { dynamoClients } from '#local/embedded-dynamodb';
import { startTestTable, type TestTable } from '../support/dynamodb';

const itemKey = (name: string) => ({ pk: `THING#${name}`, sk: 'THING' });
const names = (count: number, prefix: string): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

describe('the list index (keys only) and its readers', () => {
  let table: TestTable;

  const putThing = (partition: string, name: string) =>
    table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...itemKey(name), listPk: partition, listSk: name, name, payload: `payload of ${name}` },
      }),
    );

  beforeAll(async () => {
    table = await startTestTable();
  });
  afterAll(async () => {
    await table.stop();
  });

  it('given listed items, when the index is queried, then it holds their keys only', async () => {
    await putThing('KEYS', 'a');
    const { Items = [] } = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: LIST_INDEX.name,
        KeyConditionExpression: 'listPk = :p',
        ExpressionAttributeValues: { ':p': 'KEYS' },
      }),
    );
    expect(Items).toEqual([{ ...itemKey('a'), listPk: 'KEYS', listSk: 'a' }]);
  });

  it('given more than 100 keys in shuffled order, when batch-read, then every item comes back in key order', async () => {
    const all = names(130, 'batch-');
    for (const name of all) await putThing('BATCH', name);
    const shuffled = [...all].reverse();
    const items = await batchGetInOrder(
      table.doc,
      table.tableName,
      [...shuffled, 'never-written'].map(itemKey),
    );
    expect(items.map((item) => item.name)).toEqual(shuffled);
  });

  it('given pages of a partition, when listed with cursors, then each item comes once, full, in order', async () => {
    const all = names(7, 'page-');
    for (const name of [...all].reverse()) await putThing('PAGES', name);
    const seen: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await listIndexPage({
        client: table.doc,
        tableName: table.tableName,
        partition: 'PAGES',
        limit: 3,
        ...(cursor === undefined ? {} : { cursor }),
        tableKeyOf: itemKey,
        fromItem: (item) => item.payload,
      });
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(all.map((name) => `payload of ${name}`));
    const everything = await listIndexAll({
      client: table.doc,
      tableName: table.tableName,
      partition: 'PAGES',
      max: 5,
      fromItem: (item) => item.name,
    });
    expect(everything).toEqual(all.slice(0, 5));
  });

  it('given an item deleted between the index read and the batch read, when listed, then it is left out and paging goes on', async () => {
    for (const name of names(4, 'race-')) await putThing('RACE', name);
    // A second client on the same table whose index reads are followed by a concurrent delete.
    const { raw, doc } = dynamoClients(table.endpoint);
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'QueryCommand') {
          await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: itemKey('race-001') }));
        }
        return result;
      },
      { step: 'initialize', name: 'deleteAfterQuery' },
    );
    try {
      const first = await listIndexPage({
        client: doc,
        tableName: table.tableName,
        partition: 'RACE',
        limit: 2,
        tableKeyOf: itemKey,
        fromItem: (item) => item.name,
      });
      expect(first.items).toEqual(['race-000']);
      expect(first.nextCursor).not.toBeNull();
      const second = await listIndexPage({
        client: doc,
        tableName: table.tableName,
        partition: 'RACE',
        limit: 2,
        cursor: first.nextCursor ?? '',
        tableKeyOf: itemKey,
        fromItem: (item) => item.name,
      });
      expect(second).toEqual({ items: ['race-002', 'race-003'], nextCursor: null });
    } finally {
      raw.destroy();
    }
  });
});
