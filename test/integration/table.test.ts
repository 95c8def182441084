import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#adapters/dynamodb/table-layout';
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
});
