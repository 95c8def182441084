import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import {
  LIST_INDEX,
  LOG_INDEX,
  SLOT_INDEX,
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
      { AttributeName: SLOT_INDEX.partition, AttributeType: 'S' },
      { AttributeName: SLOT_INDEX.sort, AttributeType: 'N' },
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
      // ALL: a pass reads each due item from the index alone. It is written only when an item's
      // slot changes (API edits, re-keys), not by the yearly handling (ADR 0009).
      globalIndex(SLOT_INDEX, 'ALL'),
      // Keys only: readers fetch the items by key (listIndexPage), so a change of a listed
      // item that keeps its list keys (a user's yearly advance, a circuit's state) writes no
      // index copy. Changing the projection of a deployed index means re-creating it.
      globalIndex(LIST_INDEX, 'KEYS_ONLY'),
      globalIndex(WATCH_INDEX, 'KEYS_ONLY'),
      globalIndex(LOG_INDEX, 'KEYS_ONLY'),
      globalIndex(USER_OCCURRENCE_INDEX, 'KEYS_ONLY'),
    ],
  };
}

function globalIndex(
  index: { name: string; partition: string; sort: string },
  projection: 'ALL' | 'KEYS_ONLY',
): GlobalSecondaryIndex {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partition, KeyType: 'HASH' },
      { AttributeName: index.sort, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: projection },
  };
}
