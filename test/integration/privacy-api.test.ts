import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
});

import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { keys } from '#adapters/dynamodb/table-layout';
import { ManualClock } from '#commons/clock';
import { claim } from '#domain/occurrence';
import { startTestApi, type TestApi } from '../support/test-api';

const START = Date.parse('2027-03-01T10:00:00.000Z');
const UNKNOWN = '0190a000-0000-7000-8000-000000000999';

/**
 * Export and erasure through the admin API on real stand-ins (dynalite, the SQS server): the
 * answers for unknown users, an erase that resumes from the states a crash leaves, one that
 * meets an attempt in flight, and the repeat of a finished one.
 */
describe('privacy routes', () => {
  const clock = new ManualClock(START);
  let api: TestApi;
  let occurrences: DynamoOccurrenceRepository;

  beforeAll(async () => {
    api = await startTestApi({ clock });
    occurrences = new DynamoOccurrenceRepository({
      client: api.table.doc,
      tableName: api.table.tableName,
      watchShards: 4,
    });
  });
  afterAll(async () => {
    await api.stop();
  });

  /** A user with a queued notification (a manual send: no worker runs here) and an edit in the audit log. */
  const givenAUser = async (): Promise<{ userId: string; notificationId: string }> => {
    const created = await api.call('POST', '/v1/users', {
      body: { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' },
    });
    const userId = created.body.id as string;
    await api.call('PATCH', `/v1/users/${userId}`, { body: { lastName: 'Byron' } });
    const sent = await api.call('POST', `/v1/users/${userId}/events/birthday/send`, {
      headers: { 'x-request-id': `send-${userId}` },
    });
    expect(sent.status).toBe(202);
    return { userId, notificationId: sent.body.id as string };
  };

  const auditItemsAbout = async (userId: string) => {
    const answer = await api.call('GET', `/v1/audit?resourceId=${userId}`);
    return answer.body.items as Record<string, unknown>[];
  };

  it('given a birthday anchor the scheduler has left in a past year (year-less index), then the export shows the next birthday after now', async () => {
    const created = await api.call('POST', '/v1/users', {
      body: { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'UTC' },
    });
    const userId = created.body.id as string;
    const anchor = created.body.nextNotificationAt as string;
    const later = Date.parse(anchor) + 400 * 86_400_000; // more than a year past the anchor
    const start = clock.now();
    clock.set(later);
    try {
      const exported = await api.call('GET', `/v1/users/${userId}/export`);
      expect(exported.status).toBe(200);
      const user = exported.body.user as Record<string, unknown>;
      expect(Date.parse(user.nextNotificationAt as string)).toBeGreaterThan(later);
      expect(user.nextNotificationLocalDate).toMatch(/-12-10$/);
      const shown = await api.call('GET', `/v1/users/${userId}`);
      expect(shown.body.nextNotificationAt).toBe(user.nextNotificationAt);
    } finally {
      clock.set(start);
    }
  });

  it('given an unknown user, then export and erase answer 404', async () => {
    expect((await api.call('GET', `/v1/users/${UNKNOWN}/export`)).status).toBe(404);
    expect((await api.call('POST', `/v1/users/${UNKNOWN}/erase`)).status).toBe(404);
    expect((await api.call('POST', '/v1/users/not-a-uuid/erase')).status).toBe(404);
  });

  it('given audit entries about a user, then the notification log filtered by the user still lists notifications only', async () => {
    const { userId, notificationId } = await givenAUser();

    const listed = await api.call(
      'GET',
      `/v1/notifications?userId=${userId}&from=2027-02-15T00:00:00Z&to=2027-03-02T00:00:00Z`,
    );

    expect(listed.status).toBe(200);
    expect((listed.body.items as { id: string }[]).map((item) => item.id)).toEqual([notificationId]);
  });

  it('given an erase that died after deleting the user item, when repeated, then it finishes: notifications gone, audit redacted', async () => {
    const { userId, notificationId } = await givenAUser();
    // The state a crash right after step 2 leaves: the user item gone, the rest still there.
    await api.table.doc.send(new DeleteCommand({ TableName: api.table.tableName, Key: keys.user(userId) }));

    const erased = await api.call('POST', `/v1/users/${userId}/erase`);

    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ userDeleted: false, notifications: 1, auditEntriesRedacted: 3 });
    expect(await occurrences.get(notificationId)).toBeUndefined();
    for (const entry of await auditItemsAbout(userId)) {
      expect(entry).not.toHaveProperty('before');
      expect(entry).not.toHaveProperty('after');
    }
    expect((await api.call('POST', `/v1/users/${userId}/erase`)).status).toBe(404);
  });

  it('given an erase that died before redacting the audit log, when repeated, then it redacts and answers 200', async () => {
    const { userId, notificationId } = await givenAUser();
    await api.table.doc.send(new DeleteCommand({ TableName: api.table.tableName, Key: keys.user(userId) }));
    await api.table.doc.send(
      new DeleteCommand({ TableName: api.table.tableName, Key: keys.occurrence(notificationId) }),
    );

    const erased = await api.call('POST', `/v1/users/${userId}/erase`);

    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ userDeleted: false, notifications: 0, auditEntriesRedacted: 3 });
  });

  it('given an attempt in flight, when erased, then 409 with Retry-After and everything else erased; after the lease a repeat finishes', async () => {
    const { userId, notificationId } = await givenAUser();
    const queued = await occurrences.get(notificationId);
    expect(await occurrences.save(claim(queued!, 'worker-1', clock.now(), 40_000))).toBe(true);

    const first = await api.call('POST', `/v1/users/${userId}/erase`);

    expect(first.status).toBe(409);
    expect(first.headers.get('retry-after')).toBe('40');
    expect((await api.call('GET', `/v1/users/${userId}`)).status).toBe(404);
    expect(await occurrences.get(notificationId)).toMatchObject({ status: 'sending' });

    clock.advance(41_000);
    const second = await api.call('POST', `/v1/users/${userId}/erase`);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ userDeleted: false, notifications: 1 });
    expect(await occurrences.get(notificationId)).toBeUndefined();
  });

  it('given an attempt in flight that its worker then drops unsent (the user is gone), when the erase is repeated, then 404: nothing is left', async () => {
    const { userId, notificationId } = await givenAUser();
    const queued = await occurrences.get(notificationId);
    const claimed = claim(queued!, 'worker-1', clock.now(), 40_000);
    expect(await occurrences.save(claimed)).toBe(true);

    expect((await api.call('POST', `/v1/users/${userId}/erase`)).status).toBe(409);
    // The worker's re-check finds the user gone and deletes the record it never POSTed (ADR 0010).
    expect(await occurrences.discard(claimed)).toBe(true);

    const repeat = await api.call('POST', `/v1/users/${userId}/erase`);
    expect(repeat.status).toBe(404);
    expect(await occurrences.get(notificationId)).toBeUndefined();
    const audit = await auditItemsAbout(userId);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((entry) => entry.before === undefined && entry.after === undefined)).toBe(true);
  });

  it('given an Idempotency-Key, when the erase is retried with it, then the same answer comes back, with no personal data in it', async () => {
    const { userId } = await givenAUser();
    const headers = { 'idempotency-key': `erase-${userId}` };

    const first = await api.call('POST', `/v1/users/${userId}/erase`, { headers });
    const again = await api.call('POST', `/v1/users/${userId}/erase`, { headers });

    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(JSON.stringify(first.body)).not.toMatch(/Ada|Lovelace|Byron|1990-12-10/);
    const eraseEntries = (await auditItemsAbout(userId)).filter((entry) =>
      String(entry.path).endsWith('/erase'),
    );
    expect(eraseEntries).toHaveLength(1);
    expect(Object.keys(eraseEntries[0]!).sort()).toEqual(
      [
        'action',
        'at',
        'id',
        'keyId',
        'method',
        'path',
        'requestId',
        'resource',
        'resourceId',
        'status',
      ].sort(),
    );
    // Audit listings never show the index keys the entries carry.
    const stored = await api.table.doc.send(
      new GetCommand({
        TableName: api.table.tableName,
        Key: keys.audit(String(eraseEntries[0]!.at).slice(0, 10), String(eraseEntries[0]!.id)),
      }),
    );
    expect(stored.Item).toMatchObject({ userPk: `USER#${userId}` });
  });
});
