import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventTypeRepository } from '#adapters/dynamodb/dynamo-event-type-repository';
import { ManualClock } from '#commons/clock';
import { builtInEventType } from '#domain/event-type';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { bulkUserCommands } from '#handlers/api-composition';
import { BulkUsers } from '#use-cases/bulk-users.use-case';
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

  it('given a bulk request of 40 creates, then the birthday type is read once for it, and the next request reads it afresh', async () => {
    const clock = new ManualClock(START);
    const catalog = new EventTypeCatalog(repository);
    const birthday = await catalog.get('birthday');
    if (!birthday) throw new Error('no birthday type');
    const userDeps = {
      users: new DynamoUserRepository({ client: table.doc, tableName: table.tableName, dueShards: 8 }),
      clock,
      eventTypes: catalog,
    };
    const bulkUsers = new BulkUsers({ forRequest: () => bulkUserCommands(userDeps) });
    const creates = (count: number, sendAt: string) =>
      Array.from({ length: count }, (_, i) => ({
        op: 'create' as const,
        user: { firstName: `Bulk ${sendAt} ${i}`, lastName: 'User', birthday: '1990-08-01', timezone: 'UTC' },
      }));
    reads = 0;

    const first = await bulkUsers.apply(creates(40, '09:00'), 'req-bulk-1');

    expect(first.map((outcome) => outcome.status)).toEqual(Array.from({ length: 40 }, () => 201));
    expect(reads).toBe(1);
    // An edit between two requests reaches the next one: the snapshot lives for one request.
    expect(
      await repository.put({ ...birthday, sendAt: '10:30', version: birthday.version + 1 }, birthday.version),
    ).toBe(true);
    reads = 0;
    const second = await bulkUsers.apply(creates(3, '10:30'), 'req-bulk-2');
    expect(reads).toBe(1);
    const created = await userDeps.users.get(second[0]?.id ?? '');
    expect(created?.schedule?.dueAt).toBe(Date.parse('2027-08-01T10:30:00Z'));
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
