import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_INDEX, SLOT_INDEX, keys } from '#adapters/dynamodb/table-layout';
import { startTestTable, type TestTable } from '../support/dynamodb';

/**
 * dynalite keys an index entry by the index key plus a digest of the item's table key; as
 * shipped it kept 24 bits of that digest, so two items with the same index key whose digests
 * share them overwrote each other and one vanished from the index (one user of 10,000 due at
 * the same instant was never found due). scripts/patch-dynalite.mjs (postinstall) keeps the whole
 * digest. This test builds such a pair on purpose.
 *
 * The same script stops dynalite rewriting an index entry that a write leaves unchanged (as
 * DynamoDB does); the second group checks that every index still follows each kind of change.
 */
const shortDigest = (pk: string, sk: string): string =>
  createHash('md5').update('Outliers').update(pk).update(sk).digest('hex').slice(0, 6);

/** Two user ids whose table keys share dynalite's old 24-bit digest (a birthday search). */
function collidingUserIds(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i += 1) {
    const id = `0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
    const { pk, sk } = keys.user(id);
    const digest = shortDigest(pk, sk);
    const earlier = seen.get(digest);
    if (earlier) return [earlier, id];
    seen.set(digest, id);
  }
}

/** The items an index holds under one partition, as the index returns them. */
async function itemsInIndex(
  table: TestTable,
  index: { name: string; partition: string },
  partition: string,
): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partition },
      ExpressionAttributeValues: { ':pk': partition },
    }),
  );
  return Items;
}

describe('the local DynamoDB stand-in (dynalite) with many items under one index key', () => {
  let table: TestTable;

  beforeAll(async () => {
    table = await startTestTable();
  });

  afterAll(async () => {
    await table.stop();
  });

  it('given two users due at the same instant whose keys collide in 24 bits, then the slot index holds both', async () => {
    const [first, second] = collidingUserIds();
    const { pk: firstPk, sk: firstSk } = keys.user(first);
    const { pk: secondPk, sk: secondSk } = keys.user(second);
    expect(shortDigest(firstPk, firstSk)).toBe(shortDigest(secondPk, secondSk));
    const dueAt = Date.parse('2027-06-15T07:00:00Z');
    for (const id of [first, second]) {
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            ...keys.user(id),
            entity: 'user',
            id,
            [SLOT_INDEX.partition]: 'SLOT#06#7',
            [SLOT_INDEX.sort]: dueAt - Date.UTC(2027, 5, 1),
          },
        }),
      );
    }
    const items = await itemsInIndex(table, SLOT_INDEX, 'SLOT#06#7');
    expect(items.map((item) => String(item.id)).sort()).toEqual([first, second].sort());
  });
});

describe('the local DynamoDB stand-in (dynalite) keeping index entries through writes of the same item', () => {
  let table: TestTable;
  const id = '0190a000-0000-7000-8000-00000000beef';
  const slotAt = 3_600_000;

  beforeAll(async () => {
    table = await startTestTable();
  });

  afterAll(async () => {
    await table.stop();
  });

  const put = (item: Record<string, unknown>) =>
    table.doc.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.user(id), id, ...item } }));

  const inIndex = (index: { name: string; partition: string }, partition: string) =>
    itemsInIndex(table, index, partition);

  it('given a put that changes only an attribute a keys-only index does not project, then the entry stays', async () => {
    await put({ [LIST_INDEX.partition]: 'LIST#A', [LIST_INDEX.sort]: id, firstName: 'Ada' });
    await put({ [LIST_INDEX.partition]: 'LIST#A', [LIST_INDEX.sort]: id, firstName: 'Grace' });
    expect(await inIndex(LIST_INDEX, 'LIST#A')).toEqual([
      { ...keys.user(id), [LIST_INDEX.partition]: 'LIST#A', [LIST_INDEX.sort]: id },
    ]);
  });

  it('given a put that changes an attribute an all-attributes index projects, then the index holds the new value', async () => {
    await put({ [SLOT_INDEX.partition]: 'SLOT#01#0', [SLOT_INDEX.sort]: slotAt, firstName: 'Ada' });
    await put({ [SLOT_INDEX.partition]: 'SLOT#01#0', [SLOT_INDEX.sort]: slotAt, firstName: 'Grace' });
    expect((await inIndex(SLOT_INDEX, 'SLOT#01#0')).map((item) => item.firstName)).toEqual(['Grace']);
  });

  it('given an update of a projected attribute under the same index key, then the index holds the new value', async () => {
    await put({ [SLOT_INDEX.partition]: 'SLOT#02#0', [SLOT_INDEX.sort]: slotAt, nested: { a: 1 } });
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.user(id),
        UpdateExpression: 'SET nested.a = :two',
        ExpressionAttributeValues: { ':two': 2 },
      }),
    );
    expect((await inIndex(SLOT_INDEX, 'SLOT#02#0')).map((item) => item.nested)).toEqual([{ a: 2 }]);
  });

  it('given a put with the same attributes in another order, then the index holds the item once', async () => {
    await put({ [SLOT_INDEX.partition]: 'SLOT#03#0', [SLOT_INDEX.sort]: slotAt, a: 'x', b: 'y' });
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          b: 'y',
          a: 'x',
          [SLOT_INDEX.sort]: slotAt,
          [SLOT_INDEX.partition]: 'SLOT#03#0',
          id,
          ...keys.user(id),
        },
      }),
    );
    expect((await inIndex(SLOT_INDEX, 'SLOT#03#0')).map((item) => [item.a, item.b])).toEqual([['x', 'y']]);
  });

  it('given a write that moves or drops the index key, then the old entry is gone', async () => {
    await put({ [SLOT_INDEX.partition]: 'SLOT#04#0', [SLOT_INDEX.sort]: slotAt });
    await put({ [SLOT_INDEX.partition]: 'SLOT#05#0', [SLOT_INDEX.sort]: slotAt });
    expect(await inIndex(SLOT_INDEX, 'SLOT#04#0')).toEqual([]);
    expect(await inIndex(SLOT_INDEX, 'SLOT#05#0')).toHaveLength(1);
    await put({ firstName: 'Ada' });
    expect(await inIndex(SLOT_INDEX, 'SLOT#05#0')).toEqual([]);
  });
});
