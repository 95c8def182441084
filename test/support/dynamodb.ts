import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { dynamoClients, ensureTable, startEmbeddedDynamo } from '#local/embedded-dynamodb';

export interface TestTable {
  tableName: string;
  endpoint: string;
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * A fresh table for one test file: on dynalite in memory, or on the DynamoDB endpoint named by
 * DYNAMODB_ENDPOINT (e.g. the official DynamoDB Local) so the same tests pin both backends.
 */
export async function startTestTable(): Promise<TestTable> {
  const external = process.env.DYNAMODB_ENDPOINT;
  const embedded = external ? undefined : await startEmbeddedDynamo();
  const endpoint = external ?? embedded?.endpoint ?? '';
  const { raw, doc } = dynamoClients(endpoint);
  const tableName = `occasions-test-${randomUUID()}`;
  await ensureTable(raw, tableName);
  return {
    tableName,
    endpoint,
    raw,
    doc,
    stop: async () => {
      raw.destroy();
      await embedded?.stop();
    },
  };
}
