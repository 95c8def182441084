import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOT_INDEX, keys } from '#adapters/dynamodb/table-layout';
import { startTestTable, type TestTable } from '../support/dynamodb';

/**
 * dynalite keys an index entry by the index key plus a digest of the item's table key; as
 * shipped it kept 24 bits of that digest, so two items with the same index key whose digests
 * share them overwrote each other and one vanished from the index (one user of 10,000 due at
 * the same instant was never found due). scripts/patch-dynalite.mjs (postinstall) keeps the whole
 * digest. This test builds such a pair on purpose.
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
    const { Items = [] } = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: SLOT_INDEX.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': SLOT_INDEX.partition },
        ExpressionAttributeValues: { ':pk': 'SLOT#06#7' },
      }),
    );
    expect(Items.map((item) => String(item.id)).sort()).toEqual([first, second].sort());
  });
});
