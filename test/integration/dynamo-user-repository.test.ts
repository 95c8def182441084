import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoUserRepository, userFromItem, userToItem } from '#adapters/dynamodb/dynamo-user-repository';
import { SLOT_INDEX, keys, shardOf, slotKeysOf } from '#adapters/dynamodb/table-layout';
import { ManualClock } from '#commons/clock';
import { AlreadyExistsError, ConflictError, NotFoundError } from '#commons/errors';
import { createIdGenerator } from '#domain/ids';
import type { StoredUser } from '#domain/user';
import { InvalidCursorError } from '#ports/user-repository';
import { startTestTable, type TestTable } from '../support/dynamodb';

const SHARDS = 4;
const newId = createIdGenerator(new ManualClock(Date.UTC(2030, 0, 1)));
/** The instant of a schedule write in these tests (the scheduler's or worker's now). */
const WRITTEN_AT = Date.UTC(2030, 11, 10, 9, 5);

function aUser(overrides: Partial<StoredUser> = {}): StoredUser {
  return {
    id: newId(),
    firstName: 'Ada',
    lastName: 'Lovelace',
    birthday: '1990-12-10',
    timezone: 'Europe/London',
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    version: 1,
    schedule: { localDate: '2030-12-10', dueAt: Date.UTC(2030, 11, 10, 9) },
    lastRequestId: 'req-1',
    ...overrides,
  };
}

describe('DynamoUserRepository', () => {
  let table: TestTable;
  let repository: DynamoUserRepository;
  const rawItem = async (id: string) =>
    (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: keys.user(id) }))).Item;

  beforeAll(async () => {
    table = await startTestTable();
    repository = new DynamoUserRepository({
      client: table.doc,
      tableName: table.tableName,
      dueShards: SHARDS,
    });
  });
  afterAll(async () => {
    await table.stop();
  });

  it('given a scheduled user, when mapped to an item and back, then nothing is lost', () => {
    const user = aUser();
    const item = userToItem(user, SHARDS);
    expect(item).toMatchObject({
      ...keys.user(user.id),
      entity: 'user',
      listPk: 'USER',
      listSk: user.id,
      nextLocalDate: '2030-12-10',
      dueAt: user.schedule?.dueAt,
      // Year-less: 10 December 09:00 UTC is 9 days and 9 hours into December, every year.
      slotPk: `SLOT#12#${shardOf(user.id, SHARDS)}`,
      slotAt: (9 * 24 + 9) * 3_600_000,
      writtenAt: Date.parse(user.updatedAt),
    });
    expect(userFromItem(item)).toEqual(user);
  });

  it('given an unscheduled user, when mapped, then the item has no slot-index attributes', () => {
    const item = userToItem(aUser({ schedule: null }), SHARDS);
    expect(item).not.toHaveProperty('slotPk');
    expect(item).not.toHaveProperty('slotAt');
    expect(item).not.toHaveProperty('dueAt');
    expect(item).not.toHaveProperty('nextLocalDate');
    expect(userFromItem(item).schedule).toBeNull();
  });

  it('given a new user, when created, then it reads back and is in the slot index', async () => {
    const user = aUser();
    await repository.create(user);

    expect(await repository.get(user.id)).toEqual(user);
    const { Items = [] } = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: SLOT_INDEX.name,
        KeyConditionExpression: 'slotPk = :pk',
        ExpressionAttributeValues: {
          ':pk': slotKeysOf(Date.UTC(2030, 11, 10, 9), shardOf(user.id, SHARDS)).slotPk,
        },
      }),
    );
    expect(Items.map((item): unknown => item.id)).toContain(user.id);
  });

  it('given an existing id, when created again, then AlreadyExistsError and the first one stays', async () => {
    const user = aUser();
    await repository.create(user);
    await expect(repository.create({ ...user, firstName: 'Other' })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect((await repository.get(user.id))?.firstName).toBe('Ada');
  });

  it('given an unknown id, when read, then undefined', async () => {
    expect(await repository.get(newId())).toBeUndefined();
  });

  it('given the stored version, when replaced, then the new state is stored', async () => {
    const user = aUser();
    await repository.create(user);
    const next = { ...user, firstName: 'Grace', version: 2 };
    await repository.replace(next, 1);
    expect(await repository.get(user.id)).toEqual(next);
  });

  it('given a stale version, when replaced, then ConflictError and nothing changes', async () => {
    const user = aUser();
    await repository.create(user);
    await repository.replace({ ...user, version: 2 }, 1);
    await expect(repository.replace({ ...user, firstName: 'Late', version: 2 }, 1)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await repository.get(user.id))?.firstName).toBe('Ada');
  });

  it('given no such user, when replaced, then NotFoundError and nothing is created', async () => {
    const user = aUser();
    await expect(repository.replace(user, 1)).rejects.toBeInstanceOf(NotFoundError);
    expect(await rawItem(user.id)).toBeUndefined();
  });

  it('given a scheduled user, when replaced without a schedule, then it leaves the slot index', async () => {
    const user = aUser();
    await repository.create(user);
    await repository.replace({ ...user, schedule: null, version: 2 }, 1);
    const item = await rawItem(user.id);
    expect(item).toBeDefined();
    expect(item).not.toHaveProperty('slotPk');
    expect(item).not.toHaveProperty('dueAt');
  });

  it('given a user, when deleted twice, then the first says it existed and the second not', async () => {
    const user = aUser();
    await repository.create(user);
    expect(await repository.delete(user.id)).toBe(true);
    expect(await repository.delete(user.id)).toBe(false);
    expect(await repository.get(user.id)).toBeUndefined();
  });

  it('given an expected version (If-Match), when the user moved on, then the delete conflicts and keeps it', async () => {
    const user = aUser();
    await repository.create(user);
    await expect(repository.delete(user.id, user.version + 1)).rejects.toBeInstanceOf(ConflictError);
    expect(await repository.get(user.id)).toBeDefined();
    expect(await repository.delete(user.id, user.version)).toBe(true);
  });

  it('given the stored schedule, when advanced (a re-key), then anchor and slot move, writtenAt is set and the version increases', async () => {
    const user = aUser();
    await repository.create(user);
    // A DST-like shift: next year's instant an hour later, so on another slot.
    const to = { localDate: '2031-12-10', dueAt: Date.UTC(2031, 11, 10, 10) };
    expect(await repository.advanceSchedule(user.id, user.version, to, WRITTEN_AT)).toBe(true);

    const item = await rawItem(user.id);
    expect(item).toMatchObject({
      nextLocalDate: '2031-12-10',
      dueAt: to.dueAt,
      ...slotKeysOf(to.dueAt, shardOf(user.id, SHARDS)),
      writtenAt: WRITTEN_AT,
      version: 2,
    });
  });

  it('given a schedule that moved on, when advanced from the old one, then false and nothing changes', async () => {
    const user = aUser();
    await repository.create(user);
    const edited = { localDate: '2030-06-01', dueAt: Date.UTC(2030, 5, 1, 8) };
    await repository.replace({ ...user, schedule: edited, version: 2 }, 1);

    expect(await repository.advanceSchedule(user.id, user.version, null, WRITTEN_AT)).toBe(false);
    expect((await repository.get(user.id))?.schedule).toEqual(edited);
  });

  it('given a name-only edit after the user was read, when advanced with the version read, then false', async () => {
    const user = aUser();
    await repository.create(user);
    await repository.replace({ ...user, firstName: 'Renamed', version: 2 }, 1);
    expect(await repository.advanceSchedule(user.id, user.version, null, WRITTEN_AT)).toBe(false);
    expect((await repository.get(user.id))?.schedule).toEqual(user.schedule);
  });

  it('given the stored schedule, when advanced to null, then the user leaves the slot index', async () => {
    const user = aUser();
    await repository.create(user);
    expect(await repository.advanceSchedule(user.id, user.version, null, WRITTEN_AT)).toBe(true);
    const stored = await repository.get(user.id);
    expect(stored?.schedule).toBeNull();
    expect(await rawItem(user.id)).not.toHaveProperty('slotPk');
  });

  it('given a deleted user, when its schedule is advanced, then false and nothing is recreated', async () => {
    const user = aUser();
    await repository.create(user);
    await repository.delete(user.id);
    expect(await repository.advanceSchedule(user.id, user.version, null, WRITTEN_AT)).toBe(false);
    expect(await rawItem(user.id)).toBeUndefined();
  });

  describe('rewindSchedule (the worker puts back a day a type change made stale)', () => {
    const today = { localDate: '2030-12-10', dueAt: Date.UTC(2030, 11, 10, 10) };

    it('given an anchor a year old and the version the worker read, then it moves to the target', async () => {
      // Handled last year and never rewritten since (same slot): the anchor is 2029's.
      const user = aUser({ schedule: { localDate: '2029-12-10', dueAt: Date.UTC(2029, 11, 10, 9) } });
      await repository.create(user);
      const guard = { readVersion: user.version, writtenAt: WRITTEN_AT };
      expect(await repository.rewindSchedule(user.id, today, guard)).toBe(true);
      expect(await rawItem(user.id)).toMatchObject({
        nextLocalDate: today.localDate,
        dueAt: today.dueAt,
        ...slotKeysOf(today.dueAt, shardOf(user.id, SHARDS)),
        writtenAt: WRITTEN_AT,
        version: user.version + 1,
      });
    });

    it('given the scheduler re-keyed it to next year since the read, then it still moves back', async () => {
      const user = aUser();
      await repository.create(user);
      const nextYear = { localDate: '2031-12-10', dueAt: Date.UTC(2031, 11, 10, 9) };
      await repository.advanceSchedule(user.id, user.version, nextYear, WRITTEN_AT);
      const guard = { readVersion: user.version, writtenAt: WRITTEN_AT };
      expect(await repository.rewindSchedule(user.id, today, guard)).toBe(true);
      expect((await repository.get(user.id))?.schedule).toEqual(today);
    });

    it('given an API edit since the read that scheduled it earlier, then the edit wins', async () => {
      const user = aUser({ schedule: { localDate: '2029-12-10', dueAt: Date.UTC(2029, 11, 10, 9) } });
      await repository.create(user);
      const edited = { localDate: '2030-12-10', dueAt: Date.UTC(2030, 11, 10, 8) };
      await repository.replace({ ...user, schedule: edited, version: 2 }, 1);
      const guard = { readVersion: user.version, readDueAt: user.schedule?.dueAt, writtenAt: WRITTEN_AT };
      expect(await repository.rewindSchedule(user.id, today, guard)).toBe(false);
      expect((await repository.get(user.id))?.schedule).toEqual(edited);
    });

    it('given an API edit since the read that kept the schedule (a new name), then it still moves to the target', async () => {
      const anchor = { localDate: '2029-12-10', dueAt: Date.UTC(2029, 11, 10, 9) };
      const user = aUser({ schedule: anchor });
      await repository.create(user);
      await repository.replace({ ...user, firstName: 'Renamed', version: 2 }, 1);
      const guard = { readVersion: user.version, readDueAt: anchor.dueAt, writtenAt: WRITTEN_AT };
      expect(await repository.rewindSchedule(user.id, today, guard)).toBe(true);
      expect(await repository.get(user.id)).toMatchObject({ firstName: 'Renamed', schedule: today });
    });

    it('given a deleted user, then false and nothing is recreated', async () => {
      const user = aUser();
      await repository.create(user);
      await repository.delete(user.id);
      const guard = { readVersion: user.version, writtenAt: WRITTEN_AT };
      expect(await repository.rewindSchedule(user.id, today, guard)).toBe(false);
      expect(await rawItem(user.id)).toBeUndefined();
    });
  });

  describe('list', () => {
    let listTable: TestTable;
    let listRepository: DynamoUserRepository;
    const created: string[] = [];

    beforeAll(async () => {
      listTable = await startTestTable();
      listRepository = new DynamoUserRepository({
        client: listTable.doc,
        tableName: listTable.tableName,
        dueShards: SHARDS,
      });
      for (let i = 0; i < 7; i += 1) {
        const user = aUser({ firstName: `User${i}` });
        await listRepository.create(user);
        created.push(user.id);
      }
    });
    afterAll(async () => {
      await listTable.stop();
    });

    it('given 7 users, when paged by 3, then every user comes once in creation order and the last page ends', async () => {
      const seen: string[] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | undefined;
      do {
        const page = await listRepository.list(3, cursor);
        seen.push(...page.items.map((user) => user.id));
        cursors.push(page.nextCursor);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);

      expect(seen).toEqual(created);
      expect(cursors.map((c) => c === null)).toEqual([false, false, true]);
    });

    it('given exactly a page of users, when listed, then nextCursor is null', async () => {
      const page = await listRepository.list(7);
      expect(page.items).toHaveLength(7);
      expect(page.nextCursor).toBeNull();
    });

    it.each([
      ['not base64url', '!!!'],
      ['not JSON', Buffer.from('hello').toString('base64url')],
      ['a JSON array', Buffer.from('[1]').toString('base64url')],
      ['an unknown version', Buffer.from('{"v":2,"after":"x"}').toString('base64url')],
      ['an extra field', Buffer.from('{"v":1,"after":"x","pk":"USER#y"}').toString('base64url')],
      ['a non-string id', Buffer.from('{"v":1,"after":{"S":"x"}}').toString('base64url')],
      ['an id with odd characters', Buffer.from('{"v":1,"after":"a#b"}').toString('base64url')],
      ['an empty string', ''],
    ])('given a cursor that is %s, when listing, then InvalidCursorError', async (_name, cursor) => {
      await expect(listRepository.list(3, cursor)).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
});
