import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '#adapters/dynamodb/table-definition';
import { SLOT_INDEX, keys } from '#adapters/dynamodb/table-layout';
import { ensureTable, TableLayoutError } from '#local/embedded-dynamodb';
import { startTestTable, type TestTable } from '../support/dynamodb';

describe('the local DynamoDB table', () => {
  let table: TestTable;
  beforeAll(async () => {
    table = await startTestTable();
  });
  afterAll(async () => {
    await table.stop();
  });

  it('given the table definition, when an item is written, then it reads back by its keys', async () => {
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { ...keys.watermark(), at: 42 } }),
    );
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: keys.watermark() }),
    );
    expect(Item).toMatchObject({ at: 42 });
  });

  it('given a table kept from the layout before the slot index (a DATA_DIR of an older version), when the runtime starts on it, then it fails fast naming the fix', async () => {
    const current = tableDefinition('occasions-old-layout');
    // The layout before ADR 0009: `due-index` on duePk/dueAt instead of `slot-index`.
    await table.raw.send(
      new CreateTableCommand({
        ...current,
        AttributeDefinitions: [
          ...(current.AttributeDefinitions ?? []).filter(
            (attribute) =>
              attribute.AttributeName !== SLOT_INDEX.partition && attribute.AttributeName !== SLOT_INDEX.sort,
          ),
          { AttributeName: 'duePk', AttributeType: 'S' },
          { AttributeName: 'dueAt', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: (current.GlobalSecondaryIndexes ?? []).map((index) =>
          index.IndexName === SLOT_INDEX.name
            ? {
                ...index,
                IndexName: 'due-index',
                KeySchema: [
                  { AttributeName: 'duePk', KeyType: 'HASH' },
                  { AttributeName: 'dueAt', KeyType: 'RANGE' },
                ],
              }
            : index,
        ),
      }),
    );
    const started = ensureTable(table.raw, 'occasions-old-layout');
    await expect(started).rejects.toBeInstanceOf(TableLayoutError);
    await expect(started).rejects.toThrow(/no index slot-index.*fresh DATA_DIR/);
  });
});
