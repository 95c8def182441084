import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventTypeRepository } from '#adapters/dynamodb/dynamo-event-type-repository';
import { ManualClock } from '#commons/clock';
import { builtInEventType } from '#domain/event-type';
import { EventTypeCatalog } from '#use-cases/event-type-catalog';
import { startTestTable, type TestTable } from '../support/dynamodb';

const START = Date.parse('2027-06-15T09:00:00Z');
const TTL_MS = 5_000;

describe('the event type cache of the worker, over DynamoDB', () => {
  let table: TestTable;
  let repository: DynamoEventTypeRepository;
  /** GetItems of event type definitions that reached the table. */
  let reads = 0;

  beforeAll(async () => {
    table = await startTestTable();
    repository = new DynamoEventTypeRepository({ client: table.doc, tableName: table.tableName });
    table.raw.middlewareStack.add(
      (next) => (args) => {
        const input = args.input as { Key?: { pk?: { S?: string } }; Item?: unknown };
        if (input.Item === undefined && input.Key?.pk?.S?.startsWith('EVENTTYPE#')) reads += 1;
        return next(args);
      },
      { step: 'build', name: 'countEventTypeReads' },
    );
  });

  afterAll(async () => {
    await table.stop();
  });

  it('given a cached type, when it is edited, then deliveries see the edit only once the entry is older than the TTL; concurrent reads share one', async () => {
    const clock = new ManualClock(START);
    const catalog = new EventTypeCatalog(repository, undefined, { clock, ttlMs: TTL_MS });
    const birthday = builtInEventType('birthday');
    expect(await repository.put({ ...birthday, template: 'first {{fullName}}', version: 1 }, 0)).toBe(true);
    reads = 0;

    const first = await Promise.all(Array.from({ length: 10 }, () => catalog.get('birthday')));
    expect(reads).toBe(1);
    expect(new Set(first.map((type) => type?.template))).toEqual(new Set(['first {{fullName}}']));

    expect(await repository.put({ ...birthday, template: 'second {{fullName}}', version: 2 }, 1)).toBe(true);
    clock.advance(TTL_MS - 1);
    expect((await catalog.get('birthday'))?.template).toBe('first {{fullName}}');
    expect(reads).toBe(1);

    clock.advance(1);
    expect((await catalog.get('birthday'))?.template).toBe('second {{fullName}}');
    expect(reads).toBe(2);
  });

  it('given no cache (the API, the scheduler), when a type is read twice, then both reads reach the table', async () => {
    const catalog = new EventTypeCatalog(repository);
    reads = 0;

    await catalog.get('anniversary');
    await catalog.get('anniversary');

    expect(reads).toBe(2);
  });

  it('given a read that fails, when read again within the TTL, then it is tried again rather than the failure kept', async () => {
    const clock = new ManualClock(START);
    let failNext = true;
    const flaky = {
      get: (key: string) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('throttled'));
        }
        return repository.get(key);
      },
      list: () => repository.list(),
      put: repository.put.bind(repository),
      delete: repository.delete.bind(repository),
    };
    const catalog = new EventTypeCatalog(flaky, undefined, { clock, ttlMs: TTL_MS });

    await expect(catalog.get('reminder')).rejects.toThrow('throttled');
    expect((await catalog.get('reminder'))?.key).toBe('reminder');
  });
});
