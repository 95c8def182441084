import { describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { ConflictError, NotFoundError } from '#commons/errors';
import { InvalidProfileError, ManageUsers } from '#use-cases/manage-users.use-case';
import { InMemoryUsers } from '../../support/in-memory-users';

const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

const setup = () => {
  const users = new InMemoryUsers();
  const clock = new ManualClock(Date.parse('2025-06-10T12:00:00Z'));
  return { users, clock, manage: new ManageUsers({ users, clock }) };
};

describe('ManageUsers', () => {
  it('given a profile, when created, then version 1, clock timestamps, the request id and the next birthday', async () => {
    const { manage } = setup();
    const user = await manage.create(ada, 'req-1');
    expect(user).toMatchObject({
      ...ada,
      version: 1,
      createdAt: '2025-06-10T12:00:00.000Z',
      updatedAt: '2025-06-10T12:00:00.000Z',
      lastRequestId: 'req-1',
      schedule: { localDate: '2025-12-10', dueAt: Date.parse('2025-12-10T09:00:00Z') },
    });
  });

  it('given a profile object with extra properties, when created, then only profile fields are stored', async () => {
    const { manage, users } = setup();
    const user = await manage.create({ ...ada, admin: true } as typeof ada, 'req-1');
    expect(users.users.get(user.id)).not.toHaveProperty('admin');
  });

  it('given concurrent writers, when patched, then it re-reads and retries until it wins', async () => {
    const { manage, users } = setup();
    const { id } = await manage.create(ada, 'req-1');
    users.conflictsToInject = 2;
    const patched = await manage.patch(id, { firstName: 'Grace' }, 'req-2');
    expect(patched).toMatchObject({ firstName: 'Grace', version: 4, lastRequestId: 'req-2' });
    expect(users.replaceCalls).toBe(3);
  });

  it('given writers that always win, when patched, then ConflictError after 3 attempts', async () => {
    const { manage, users } = setup();
    const { id } = await manage.create(ada, 'req-1');
    users.conflictsToInject = 5;
    await expect(manage.replace(id, ada, 'req-2')).rejects.toBeInstanceOf(ConflictError);
    expect(users.replaceCalls).toBe(3);
  });

  it('given a name-only change, when patched, then the pending occurrence is kept even if now is past it', async () => {
    const { manage, clock, users } = setup();
    const created = await manage.create(ada, 'req-1');
    clock.set(Date.parse('2025-12-10T09:30:00Z')); // due, but not yet handed to the queue
    const patched = await manage.patch(created.id, { firstName: 'Augusta' }, 'req-2');
    // Stored: the anchor as it was, so the scheduler still finds today's due.
    expect(users.users.get(created.id)?.schedule).toEqual(created.schedule);
    // Shown: the next one after now (a due one not yet handled shows in the notification log).
    expect(patched.schedule).toEqual({ localDate: '2026-12-10', dueAt: Date.parse('2026-12-10T09:00:00Z') });
  });

  it('given an anchor the scheduler handled years ago (year-less index), when read, then the next birthday after now is shown', async () => {
    const { manage, clock, users } = setup();
    const created = await manage.create(ada, 'req-1'); // anchor 2025-12-10
    clock.set(Date.parse('2028-03-01T00:00:00Z'));
    expect((await manage.get(created.id)).schedule).toEqual({
      localDate: '2028-12-10',
      dueAt: Date.parse('2028-12-10T09:00:00Z'),
    });
    expect((await manage.list(10)).items[0]?.schedule?.localDate).toBe('2028-12-10');
    expect(users.users.get(created.id)?.schedule?.localDate).toBe('2025-12-10');
  });

  it('given a birthday change, when patched, then it is rescheduled from now', async () => {
    const { manage } = setup();
    const created = await manage.create(ada, 'req-1');
    const patched = await manage.patch(created.id, { birthday: '1990-07-01' }, 'req-2');
    expect(patched.schedule).toEqual({ localDate: '2025-07-01', dueAt: Date.parse('2025-07-01T08:00:00Z') });
  });

  it('given a birthday in the future of the user zone, when created, then InvalidProfileError on birthday', async () => {
    const { manage } = setup();
    const error: unknown = await manage
      .create({ ...ada, birthday: '2025-06-11' }, 'r')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidProfileError);
    expect((error as InvalidProfileError).issues).toEqual([
      { path: 'birthday', message: 'birthday must not be in the future in Europe/London' },
    ]);
  });

  it('given a birthday already today east of UTC, when created, then accepted', async () => {
    const { manage, clock } = setup();
    clock.set(Date.parse('2025-06-10T20:00:00Z')); // already 11 June in Tokyo
    await expect(
      manage.create({ ...ada, birthday: '2025-06-11', timezone: 'Asia/Tokyo' }, 'r'),
    ).resolves.toBeDefined();
  });

  it('given an unknown id, when read, patched or deleted, then NotFoundError', async () => {
    const { manage } = setup();
    await expect(manage.get('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(manage.patch('nope', { firstName: 'x' }, 'r')).rejects.toBeInstanceOf(NotFoundError);
    await expect(manage.delete('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
