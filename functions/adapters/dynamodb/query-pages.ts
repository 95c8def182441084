import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Every page of a Query, following `LastEvaluatedKey` until the last one; empty pages (which a
 * `Limit` or a filter can produce) are skipped.
 */
export async function* queryPages(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncIterable<Record<string, unknown>[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    if (page.Items && page.Items.length > 0) yield page.Items;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
