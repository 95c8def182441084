import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  DUE_INDEX,
  LIST_INDEX,
  LOG_INDEX,
  TABLE_KEYS,
  USER_OCCURRENCE_INDEX,
  WATCH_INDEX,
} from './table-layout';

/**
 * The table as the local runtime and the integration tests create it. The CDK stateful stack
 * declares the same keys and indexes (test/infra asserts they match this definition).
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partition, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sort, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.partition, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.sort, AttributeType: 'N' },
      { AttributeName: LIST_INDEX.partition, AttributeType: 'S' },
      { AttributeName: LIST_INDEX.sort, AttributeType: 'S' },
      { AttributeName: WATCH_INDEX.partition, AttributeType: 'S' },
      { AttributeName: WATCH_INDEX.sort, AttributeType: 'N' },
      { AttributeName: LOG_INDEX.partition, AttributeType: 'S' },
      { AttributeName: LOG_INDEX.sort, AttributeType: 'N' },
      { AttributeName: USER_OCCURRENCE_INDEX.partition, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX.name,
        KeySchema: [
          { AttributeName: DUE_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: DUE_INDEX.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: LIST_INDEX.name,
        KeySchema: [
          { AttributeName: LIST_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: LIST_INDEX.sort, KeyType: 'RANGE' },
        ],
        // Keys only: readers fetch the items by key (listIndexPage), so a change of a listed
        // item that keeps its list keys (a user's yearly advance, a circuit's state) writes no
        // index copy. Changing the projection of a deployed index means re-creating it.
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: WATCH_INDEX.name,
        KeySchema: [
          { AttributeName: WATCH_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: WATCH_INDEX.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: LOG_INDEX.name,
        KeySchema: [
          { AttributeName: LOG_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: LOG_INDEX.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: USER_OCCURRENCE_INDEX.name,
        KeySchema: [
          { AttributeName: USER_OCCURRENCE_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: USER_OCCURRENCE_INDEX.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}
