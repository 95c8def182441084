import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamoClients } from '#local/embedded-dynamodb';
import { LOCAL_TABLE } from '#local/runtime';
import { TestReceiver } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface Json {
  [key: string]: unknown;
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** Names no other data has, so a Scan can tell whether anything of this user is left. */
const FIRST = 'Quillonia';
const LAST = 'Vexhammer';

describe('privacy: export and erase a user through the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
    service = await startTestService({ clockStart: '2027-05-01T00:00:00Z', webhookUrl: receiver.url });
  });

  afterEach(async () => {
    await service.stop();
    await receiver.stop();
  });

  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> => {
    const answer = await service.api(method, path, body);
    return { status: answer.status, body: (answer.body ?? {}) as Json };
  };

  const runAt = async (at: number): Promise<void> => {
    await service.setClock(iso(at));
    await service.tick();
    await service.drain();
  };

  /** Every item of the table (test-only: the service itself never scans). */
  const scanTable = async (): Promise<Json[]> => {
    const { doc, raw } = dynamoClients(service.runtime.endpoints.dynamodb);
    try {
      const items: Json[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new ScanCommand({ TableName: LOCAL_TABLE, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        items.push(...((page.Items ?? []) as Json[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    } finally {
      raw.destroy();
    }
  };

  /** A user with a delivered birthday, an anniversary whose notification is retrying, preferences and edits. */
  const givenAUserWithHistory = async (): Promise<{ userId: string; eventId: string }> => {
    const created = await call('POST', '/v1/users', {
      firstName: FIRST,
      lastName: 'Doe',
      birthday: '1990-05-10',
      timezone: 'Europe/London',
    });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    expect((await call('PATCH', `/v1/users/${userId}`, { lastName: LAST })).status).toBe(200);
    expect((await call('PUT', `/v1/users/${userId}/preferences`, { optOut: ['reminder'] })).status).toBe(200);
    const event = await call('POST', `/v1/users/${userId}/events`, {
      type: 'anniversary',
      date: '2015-05-20',
    });
    expect(event.status).toBe(201);

    // The birthday: 09:00 London (BST) is 08:00 UTC; delivered at the first attempt.
    await runAt(Date.parse('2027-05-10T08:00:00Z'));
    expect(receiver.accepted(userId)).toHaveLength(1);
    // The anniversary: the receiver fails it once, so it waits for a retry (a delayed message).
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2027-05-20T08:00:00Z'));
    expect(receiver.requests.filter((request) => request.body.data.userId === userId)).toHaveLength(2);
    receiver.replyWith({ status: 204 });
    return { userId, eventId: event.body.id as string };
  };

  it('given a user with notifications and edits, when exported, then one document holds profile, preferences, events, notifications with attempts and the audit entries about them', async () => {
    const { userId, eventId } = await givenAUserWithHistory();

    const exported = await call('GET', `/v1/users/${userId}/export`);

    expect(exported.status).toBe(200);
    const body = exported.body;
    expect(body.user).toMatchObject({ id: userId, firstName: FIRST, lastName: LAST, birthday: '1990-05-10' });
    expect(body.preferences).toEqual({ optOut: ['reminder'], sendAt: null });
    expect((body.events as Json[]).map((event) => [event.id, event.type])).toEqual([
      ['birthday', 'birthday'],
      [eventId, 'anniversary'],
    ]);
    const notifications = body.notifications as Json[];
    expect(notifications.map((notification) => [notification.type, notification.status])).toEqual([
      ['birthday', 'delivered'],
      ['anniversary', 'retrying'],
    ]);
    expect((notifications[0]!.attempts as Json[]).map((attempt) => attempt.outcome)).toEqual(['delivered']);
    expect((notifications[1]!.attempts as Json[]).map((attempt) => attempt.statusCode)).toEqual([503]);
    expect(body.notificationsTruncated).toBe(false);
    const audit = body.audit as Json[];
    expect(audit.map((entry) => `${String(entry.method)} ${String(entry.resource)}`)).toEqual([
      'POST user',
      'PATCH user',
      'PUT user-preferences',
      'POST user-event',
    ]);
    expect(audit[1]).toMatchObject({ before: { lastName: 'Doe' }, after: { lastName: LAST } });
  });

  it('given a user with a notification waiting for its retry, when erased, then nothing of the user is left but id-only audit entries, and the notification is never delivered', async () => {
    const { userId } = await givenAUserWithHistory();
    const viewerKey = (await call('POST', '/v1/api-keys', { name: 'on-call', role: 'viewer' })).body
      .key as string;
    const asViewer = (method: string, path: string) =>
      fetch(`${service.runtime.url}${path}`, { method, headers: { 'x-api-key': viewerKey } });
    expect((await asViewer('GET', `/v1/users/${userId}/export`)).status).toBe(403);
    expect((await asViewer('POST', `/v1/users/${userId}/erase`)).status).toBe(403);

    const erased = await call('POST', `/v1/users/${userId}/erase`);

    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toMatchObject({
      userId,
      userDeleted: true,
      events: 1,
      notifications: 2,
      attempts: 2,
      auditEntriesRedacted: 4,
    });
    // The retry comes due, and goes nowhere.
    const requestsBefore = receiver.requests.length;
    await runAt(Date.parse('2027-05-21T08:00:00Z'));
    await runAt(Date.parse('2028-05-21T08:00:00Z'));
    expect(receiver.requests.length).toBe(requestsBefore);

    const leftovers = (await scanTable()).filter((item) => {
      const text = JSON.stringify(item);
      return text.includes(userId) || text.includes(FIRST) || text.includes(LAST);
    });
    expect(leftovers.length).toBe(5); // the four entries about the user and the erase's own
    for (const item of leftovers) {
      expect(item.entity).toBe('audit');
      expect(item).not.toHaveProperty('before');
      expect(item).not.toHaveProperty('after');
      expect(JSON.stringify(item)).not.toMatch(new RegExp(`${FIRST}|${LAST}|1990-05-10`));
    }
    const eraseEntry = leftovers.find((item) => String(item.path).endsWith('/erase'));
    expect(eraseEntry).toMatchObject({ resource: 'user', resourceId: userId, action: 'delete', status: 200 });

    const repeat = await call('POST', `/v1/users/${userId}/erase`);
    expect(repeat.status).toBe(404);
    expect((await call('GET', `/v1/users/${userId}/export`)).status).toBe(404);
    expect((await call('GET', `/v1/users/${userId}`)).status).toBe(404);
  });
});
