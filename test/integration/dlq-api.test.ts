import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { messageBody } from '#adapters/sqs/sqs-notification-queue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
});

import { occurrenceId } from '#domain/occurrence-id';
import type { StoredUser } from '#domain/user';
import { OperationsHarness, VIEWER_KEY } from '../support/operations-harness';
import { takeMessages } from '../support/plans';

const START = Date.parse('2027-06-01T00:00:00Z');
/** A 1990-06-15 birthday in UTC is due at 09:00Z on 15 June. */
const DUE = Date.parse('2027-06-15T09:00:00Z');

interface DeadLetterJson {
  messageId: string;
  occurrenceId: string | null;
  notificationStatus: string | null;
  receiveCount: number;
  sentAt: string;
  reason: string | null;
}

describe('the dead-letter queue through the admin API', () => {
  let harness: OperationsHarness;

  beforeEach(async () => {
    harness = await new OperationsHarness().start(START);
  });

  afterEach(async () => {
    await harness.stop();
  });

  /** `count` users whose notification the receiver refuses (400): each fails and lands in the DLQ. */
  async function failedNotifications(count: number): Promise<StoredUser[]> {
    const users: StoredUser[] = [];
    for (let i = 0; i < count; i += 1) {
      users.push(
        await harness.manageUsers.create(
          { firstName: `U${i}`, lastName: 'Doe', birthday: '1990-06-15', timezone: 'UTC' },
          `req-${i}`,
        ),
      );
    }
    harness.receiver.replyWith({ status: 400 });
    expect(await harness.schedulePassAt(DUE)).toBe(count);
    await harness.work();
    expect(harness.deadLetterStats().visible).toBe(count);
    return users;
  }

  const idOf = (user: StoredUser): string => occurrenceId(user.id, 'birthday', '2027-06-15');

  const list = async (query = ''): Promise<DeadLetterJson[]> => {
    const answer = await harness.call('GET', `/v1/dlq${query}`, { apiKey: VIEWER_KEY });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.items as DeadLetterJson[];
  };

  it('given three failed notifications, when the DLQ is listed twice, then both listings show the same three and none is lost', async () => {
    const users = await failedNotifications(3);

    const first = await list();
    const second = await list();

    expect(first.map((item) => item.messageId).sort()).toEqual(second.map((item) => item.messageId).sort());
    expect(first.map((item) => item.occurrenceId).sort()).toEqual(users.map(idOf).sort());
    for (const item of first) {
      expect(item).toMatchObject({ notificationStatus: 'failed', sentAt: new Date(DUE).toISOString() });
      expect(item.reason).toMatch(/^HTTP 400/);
      expect(item.receiveCount).toBeGreaterThanOrEqual(1);
    }
    expect(harness.deadLetterStats()).toMatchObject({ visible: 3, inFlight: 0 });

    const limited = await harness.call('GET', '/v1/dlq?limit=2');
    expect(limited.body).toMatchObject({ approximateCount: 3 });
    expect(limited.body.items).toHaveLength(2);
    expect(harness.deadLetterStats()).toMatchObject({ visible: 3, inFlight: 0 });
  });

  it('given a plan parked in the DLQ before any worker claimed it (ADR 0010), when it is redriven, then the claim creates the occurrence and it is delivered once', async () => {
    const user = await harness.manageUsers.create(
      { firstName: 'Plan', lastName: 'Doe', birthday: '1990-06-15', timezone: 'UTC' },
      'req-plan',
    );
    expect(await harness.schedulePassAt(DUE)).toBe(1);
    // What SQS does after maxReceiveCount receives of a message every worker crashed on.
    const [plan] = await takeMessages(harness.sqs, harness.queueUrl);
    expect(plan?.plan).toBeDefined();
    await harness.sqs.send(
      new SendMessageCommand({ QueueUrl: harness.dlqUrl, MessageBody: messageBody(plan!) }),
    );
    expect(await harness.occurrences.get(idOf(user))).toBeUndefined();
    const [listed] = await list();
    expect(listed).toMatchObject({ occurrenceId: idOf(user), notificationStatus: null, planned: true });

    const answer = await harness.call('POST', '/v1/dlq/redrive', {
      body: { messageIds: [listed!.messageId] },
    });

    expect(answer.body).toMatchObject({
      remaining: 0,
      results: [{ messageId: listed!.messageId, status: 200, outcome: 'redriven', occurrenceId: idOf(user) }],
    });
    await harness.work();
    expect(harness.receiver.accepted(user.id)).toHaveLength(1);
    expect(await harness.occurrences.get(idOf(user))).toMatchObject({ status: 'delivered' });
  });

  it('given a plan parked in the DLQ, when an admin deletes it, then it is recorded as cancelled by an admin (no pass revives it), and nothing is recorded for a user gone since', async () => {
    const [kept, gone] = await Promise.all(
      ['Kept', 'Gone'].map((firstName, i) =>
        harness.manageUsers.create(
          { firstName, lastName: 'Doe', birthday: '1990-06-15', timezone: 'UTC' },
          `req-delete-${i}`,
        ),
      ),
    );
    expect(await harness.schedulePassAt(DUE)).toBe(2);
    for (const plan of await takeMessages(harness.sqs, harness.queueUrl)) {
      await harness.sqs.send(
        new SendMessageCommand({ QueueUrl: harness.dlqUrl, MessageBody: messageBody(plan) }),
      );
    }
    await harness.manageUsers.delete(gone!.id);

    for (const letter of await list()) {
      const answer = await harness.call('DELETE', `/v1/dlq/${letter.messageId}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(204);
    }

    expect(await harness.occurrences.get(idOf(kept!))).toMatchObject({
      status: 'cancelled',
      statusReason: 'cancelled by an admin',
    });
    expect(await harness.occurrences.get(idOf(gone!))).toBeUndefined();
    expect(harness.deadLetterStats().visible).toBe(0);
  });

  it('given a failed notification, when its message is redriven and the receiver is fixed, then it is delivered exactly once and the log shows both attempts', async () => {
    const [user, other] = await failedNotifications(2);
    if (!user || !other) throw new Error('no users');
    const target = (await list()).find((item) => item.occurrenceId === idOf(user));
    if (!target) throw new Error('not listed');

    const answer = await harness.call('POST', '/v1/dlq/redrive', {
      body: { messageIds: [target.messageId, '00000000-0000-4000-8000-000000000000'] },
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      remaining: 1,
      results: [
        {
          messageId: target.messageId,
          status: 200,
          outcome: 'redriven',
          occurrenceId: idOf(user),
          notificationStatus: 'queued',
        },
        { messageId: '00000000-0000-4000-8000-000000000000', status: 404, outcome: 'not-found' },
      ],
    });
    const queued = await harness.occurrences.get(idOf(user));
    expect(queued).toMatchObject({
      status: 'queued',
      attempts: 0,
      statusReason: 'redriven from the dead-letter queue',
    });

    harness.receiver.replyWith({ status: 204 });
    await harness.work();
    await harness.work();

    expect(harness.receiver.accepted(user.id)).toHaveLength(1);
    expect(harness.receiver.accepted(other.id)).toHaveLength(0);
    const detail = await harness.call('GET', `/v1/notifications/${idOf(user)}`);
    expect(detail.body).toMatchObject({ status: 'delivered' });
    expect((detail.body.attempts as { statusCode: number }[]).map((attempt) => attempt.statusCode)).toEqual([
      400, 204,
    ]);
    expect((await harness.occurrences.get(idOf(other)))?.status).toBe('failed');
    expect(harness.deadLetterStats().visible).toBe(1);

    // Redriving it again finds nothing: it left the DLQ.
    const again = await harness.call('POST', '/v1/dlq/redrive', { body: { messageIds: [target.messageId] } });
    expect(again.body).toMatchObject({ results: [{ status: 404 }] });
  });

  it('given failed notifications, when all are redriven, then each is delivered once and the DLQ is empty', async () => {
    const users = await failedNotifications(3);
    harness.receiver.replyWith({ status: 204 });

    const answer = await harness.call('POST', '/v1/dlq/redrive', { body: { all: true } });

    expect(answer.status).toBe(200);
    expect(answer.body.remaining).toBe(0);
    expect((answer.body.results as { status: number }[]).map((result) => result.status)).toEqual([
      200, 200, 200,
    ]);
    await harness.work();
    for (const user of users) expect(harness.receiver.accepted(user.id)).toHaveLength(1);
    expect(harness.deadLetterStats()).toMatchObject({ visible: 0, inFlight: 0 });
    expect(harness.eventTypes().filter((type) => type === 'NotificationDelivered')).toHaveLength(3);
  });

  it('given a dead letter, when deleted, then it is gone and its notification stays failed, with a note', async () => {
    const [user] = await failedNotifications(2);
    if (!user) throw new Error('no user');
    const target = (await list()).find((item) => item.occurrenceId === idOf(user));
    if (!target) throw new Error('not listed');

    const answer = await harness.call('DELETE', `/v1/dlq/${target.messageId}`);

    expect(answer.status).toBe(204);
    expect(harness.deadLetterStats().visible).toBe(1);
    expect(await harness.occurrences.get(idOf(user))).toMatchObject({
      status: 'failed',
      statusReason: 'dead-letter message deleted by an admin',
    });
    expect((await harness.call('DELETE', `/v1/dlq/${target.messageId}`)).status).toBe(404);
    expect((await list()).map((item) => item.messageId)).not.toContain(target.messageId);
  });

  it('given a stale message of a delivered notification and a foreign one, when redriven, then 409 and 422, both left in the DLQ', async () => {
    const user = await harness.manageUsers.create(
      { firstName: 'Ok', lastName: 'Doe', birthday: '1990-06-15', timezone: 'UTC' },
      'req-ok',
    );
    await harness.schedulePassAt(DUE);
    await harness.work();
    expect(harness.receiver.accepted(user.id)).toHaveLength(1);
    await harness.sqs.send(
      new SendMessageCommand({
        QueueUrl: harness.dlqUrl,
        MessageBody: JSON.stringify({ occurrenceId: idOf(user), userId: user.id }),
      }),
    );
    await harness.sqs.send(new SendMessageCommand({ QueueUrl: harness.dlqUrl, MessageBody: 'not ours' }));

    const answer = await harness.call('POST', '/v1/dlq/redrive', { body: { all: true } });

    const results = answer.body.results as { status: number; outcome: string; occurrenceId: string | null }[];
    expect(results.map((result) => [result.status, result.outcome]).sort()).toEqual([
      [409, 'already-final'],
      [422, 'unreadable'],
    ]);
    expect(harness.deadLetterStats()).toMatchObject({ visible: 2, inFlight: 0 });
    await harness.work();
    expect(harness.receiver.accepted(user.id)).toHaveLength(1);
  });

  it('given bad redrive bodies or a viewer key, when posted, then 400 naming the field or 403, and nothing moves', async () => {
    await failedNotifications(1);
    for (const [body, field] of [
      [{}, 'messageIds'],
      [{ all: false }, 'all'],
      [{ messageIds: [] }, 'messageIds'],
      [{ messageIds: ['a/b'] }, 'messageIds.0'],
      [{ all: true, messageIds: ['x'] }, 'messageIds'],
      [{ everything: true }, 'everything'],
    ] as const) {
      const answer = await harness.call('POST', '/v1/dlq/redrive', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(
        (answer.body.errors as { path: string }[]).map((error) => error.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(
      (await harness.call('POST', '/v1/dlq/redrive', { body: { all: true }, apiKey: VIEWER_KEY })).status,
    ).toBe(403);
    expect((await harness.call('DELETE', '/v1/dlq/abc', { apiKey: VIEWER_KEY })).status).toBe(403);
    expect(harness.deadLetterStats()).toMatchObject({ visible: 1, inFlight: 0 });
  });
});
