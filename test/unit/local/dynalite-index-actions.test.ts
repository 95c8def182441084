import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * dynalite's own index bookkeeping (`getIndexActions` in node_modules/dynalite/db/index.js, as
 * scripts/patch-dynalite.mjs leaves it): which index entries a write puts and deletes. DynamoDB
 * writes an index entry only when the item's index key or projected attributes change; so must
 * the patched dynalite. The integration test (dynalite-index-keys) checks what the indexes hold.
 */
type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;
interface IndexDefinition {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
}
interface IndexActions {
  puts: { index: string; key: string }[];
  deletes: { index: string; key: string }[];
}
const { getIndexActions } = createRequire(import.meta.url)('dynalite/db/index.js') as {
  getIndexActions: (
    indexes: IndexDefinition[],
    existing: Item | undefined,
    item: Item | null,
    table: unknown,
  ) => IndexActions;
};

const table = {
  TableName: 't',
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'g', AttributeType: 'S' },
    { AttributeName: 'at', AttributeType: 'N' },
  ],
};
const index = (projection: IndexDefinition['Projection'], name = 'g-index'): IndexDefinition => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: 'g', KeyType: 'HASH' },
    { AttributeName: 'at', KeyType: 'RANGE' },
  ],
  Projection: projection,
});
const keysOnly = index({ ProjectionType: 'KEYS_ONLY' });
const include = index({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] });
const all = index({ ProjectionType: 'ALL' });

const item = (changes: Item = {}): Item => ({
  pk: { S: 'USER#1' },
  sk: { S: 'PROFILE' },
  g: { S: 'G#1' },
  at: { N: '5' },
  name: { S: 'Ada' },
  status: { S: 'queued' },
  ...changes,
});
const counts = (actions: IndexActions) => ({ puts: actions.puts.length, deletes: actions.deletes.length });

describe("dynalite's index actions for a write over an existing item", () => {
  it('given a write that changes no projected attribute, then no index entry is written', () => {
    const changed = item({ status: { S: 'delivered' } });
    expect(counts(getIndexActions([keysOnly], item(), changed, table))).toEqual({ puts: 0, deletes: 0 });
    expect(counts(getIndexActions([include], item(), changed, table))).toEqual({ puts: 0, deletes: 0 });
    // The same attributes in another order, and a map with its keys in another order.
    const reordered = { status: { S: 'queued' }, ...item(), nested: { M: { b: { S: '2' }, a: { S: '1' } } } };
    const before = item({ nested: { M: { a: { S: '1' }, b: { S: '2' } } } });
    expect(counts(getIndexActions([all], before, reordered, table))).toEqual({ puts: 0, deletes: 0 });
  });

  it('given a write that changes a projected attribute, then the entry is written again under its key', () => {
    const renamed = item({ name: { S: 'Grace' } });
    expect(counts(getIndexActions([include], item(), renamed, table))).toEqual({ puts: 1, deletes: 0 });
    expect(counts(getIndexActions([all], item(), item({ status: { S: 'delivered' } }), table))).toEqual({
      puts: 1,
      deletes: 0,
    });
    expect(counts(getIndexActions([keysOnly], item(), renamed, table))).toEqual({ puts: 0, deletes: 0 });
  });

  it('given a write that moves, adds or drops the index key, then the entries follow', () => {
    expect(counts(getIndexActions([keysOnly], item(), item({ at: { N: '6' } }), table))).toEqual({
      puts: 1,
      deletes: 1,
    });
    const { g: _g, ...unindexed } = item();
    expect(counts(getIndexActions([keysOnly], unindexed, item(), table))).toEqual({ puts: 1, deletes: 0 });
    expect(counts(getIndexActions([keysOnly], item(), unindexed, table))).toEqual({ puts: 0, deletes: 1 });
    expect(counts(getIndexActions([keysOnly], item(), null, table))).toEqual({ puts: 0, deletes: 1 });
    expect(counts(getIndexActions([keysOnly], undefined, item(), table))).toEqual({ puts: 1, deletes: 0 });
  });

  it('given several indexes, then only the one whose projection changed is written', () => {
    const actions = getIndexActions(
      [
        keysOnly,
        index({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] }, 'named-index'),
        index({ ProjectionType: 'ALL' }, 'all-index'),
      ],
      item(),
      item({ name: { S: 'Grace' } }),
      table,
    );
    expect(actions.puts.map((put) => put.index).sort()).toEqual(['all-index', 'named-index']);
    expect(actions.deletes).toEqual([]);
  });
});
