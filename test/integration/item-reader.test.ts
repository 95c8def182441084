import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoalescingItemReader } from '#adapters/dynamodb/item-reader';
import { startTestTable, type TestTable } from '../support/dynamodb';

const keyOf = (name: string) => ({ pk: `THING#${name}`, sk: 'THING' });
const strong = { consistent: true };
const eventual = { consistent: false };

describe('the coalescing item reader (the worker reads a batch of records together)', () => {
  let table: TestTable;
  /** Requests the table received, by command name, since the counter was last reset. */
  let requests: Map<string, { count: number; consistent: (boolean | undefined)[] }>;

  beforeAll(async () => {
    table = await startTestTable();
    for (const name of ['a', 'b', 'c']) {
      await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { ...keyOf(name), name } }));
    }
    table.raw.middlewareStack.add(
      (next, context) => (args) => {
        const input = args.input as {
          ConsistentRead?: boolean;
          RequestItems?: Record<string, { ConsistentRead?: boolean }>;
        };
        const seen = requests.get(context.commandName ?? '') ?? { count: 0, consistent: [] };
        seen.count += 1;
        seen.consistent.push(
          input.RequestItems ? Object.values(input.RequestItems)[0]?.ConsistentRead : input.ConsistentRead,
        );
        requests.set(context.commandName ?? '', seen);
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
  });
  afterAll(async () => {
    await table.stop();
  });

  const reset = () => {
    requests = new Map();
  };

  it('given reads asked for together, when they resolve, then one BatchGetItem per consistency answered each with its own item', async () => {
    reset();
    const reader = new CoalescingItemReader({ client: table.doc, tableName: table.tableName });

    const [a, b, missing, aAgain, c] = await Promise.all([
      reader.read(keyOf('a'), strong),
      reader.read(keyOf('b'), strong),
      reader.read(keyOf('never-written'), strong),
      reader.read(keyOf('a'), strong),
      reader.read(keyOf('c'), eventual),
    ]);

    expect([a?.name, b?.name, missing, aAgain?.name, c?.name]).toEqual(['a', 'b', undefined, 'a', 'c']);
    expect(requests.get('BatchGetItemCommand')).toEqual({ count: 2, consistent: [true, false] });
    expect(requests.get('GetItemCommand')).toBeUndefined();
  });

  it('given reads asked for a few awaits apart in the same turn, when they resolve, then they still share one request', async () => {
    reset();
    const reader = new CoalescingItemReader({ client: table.doc, tableName: table.tableName });
    const afterHops = async (name: string, hops: number) => {
      for (let hop = 0; hop < hops; hop += 1) await Promise.resolve();
      return reader.read(keyOf(name), strong);
    };

    const items = await Promise.all([afterHops('a', 0), afterHops('b', 3), afterHops('c', 7)]);

    expect(items.map((item) => item?.name)).toEqual(['a', 'b', 'c']);
    expect(requests.get('BatchGetItemCommand')?.count).toBe(1);
  });

  it('given reads in two turns, when the second is asked for after the first answered, then each turn has its own fresh request', async () => {
    reset();
    const reader = new CoalescingItemReader({ client: table.doc, tableName: table.tableName });
    expect((await reader.read(keyOf('a'), strong))?.name).toBe('a');
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { ...keyOf('a'), name: 'a, edited' } }),
    );

    // Nothing is cached between turns: a consistent read after a write sees the write.
    expect((await reader.read(keyOf('a'), strong))?.name).toBe('a, edited');
    expect(requests.get('BatchGetItemCommand')?.count).toBe(2);
  });

  it('given one bad key among good ones, when the batch is refused, then only that read fails and the others answer', async () => {
    reset();
    const reader = new CoalescingItemReader({ client: table.doc, tableName: table.tableName });

    const reads = await Promise.allSettled([
      reader.read(keyOf('b'), strong),
      reader.read({ pk: '', sk: 'THING' }, strong), // DynamoDB refuses an empty key value
      reader.read(keyOf('c'), strong),
    ]);

    expect(reads.map((read) => read.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const names = reads.map((read) => (read.status === 'fulfilled' ? read.value?.name : undefined));
    expect(names).toEqual(['b', undefined, 'c']);
    expect(requests.get('BatchGetItemCommand')?.count).toBe(1);
    expect(requests.get('GetItemCommand')?.count).toBe(3);
  });

  it('given a request that fails, when the reads resolve, then every read of that request fails with its error and later reads work', async () => {
    const broken = new CoalescingItemReader({ client: table.doc, tableName: 'no-such-table' });

    const reads = await Promise.allSettled([
      broken.read(keyOf('a'), strong),
      broken.read(keyOf('b'), strong),
    ]);

    expect(reads.map((read) => read.status)).toEqual(['rejected', 'rejected']);
    for (const read of reads) {
      if (read.status === 'rejected') expect(read.reason).toBeInstanceOf(ResourceNotFoundException);
    }
    const reader = new CoalescingItemReader({ client: table.doc, tableName: table.tableName });
    expect((await reader.read(keyOf('b'), strong))?.name).toBe('b');
  });
});
