import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestReceiver } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface Job {
  id: string;
  status: string;
  counts: Record<string, number>;
}

interface Notification {
  id: string;
  userId: string;
  status: string;
  attempts: { sequence: number; statusCode: number | null; trigger: string }[];
}

describe('replay / recover through the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
    service = await startTestService({ clockStart: '2027-06-01T00:00:00Z', webhookUrl: receiver.url });
  });

  afterEach(async () => {
    await service.stop();
    await receiver.stop();
  });

  async function createUser(firstName: string, birthday: string): Promise<string> {
    const created = await service.api('POST', '/v1/users', {
      firstName,
      lastName: 'Doe',
      birthday,
      timezone: 'UTC',
    });
    expect(created.status).toBe(201);
    return (created.body as { id: string }).id;
  }

  async function notificationOf(userId: string): Promise<Notification> {
    const listed = await service.api(
      'GET',
      `/v1/notifications?userId=${userId}&from=2027-06-01T00:00:00Z&to=2027-06-16T00:00:00Z`,
    );
    const [item] = (listed.body as { items: { id: string }[] }).items;
    if (!item) throw new Error(`no notification for ${userId}`);
    return (await service.api('GET', `/v1/notifications/${item.id}`)).body as Notification;
  }

  it('given a receiver answering 400 (failed), a notification found too late (skipped) and one delivered, when the receiver is fixed and the window replayed, then the failed and skipped ones are delivered once each, a repeat changes nothing, and force re-sends with the same webhook-id', async () => {
    const john = await createUser('John', '1990-06-15');
    const max = await createUser('Max', '1985-06-15');
    const jane = await createUser('Jane', '1992-06-10');
    receiver.replyWith((request) => ({ status: request.body.data.userId === john ? 400 : 204 }));

    // The service comes back on 15 June: Jane's 10 June notification is past the maximum lateness.
    await service.setClock('2027-06-15T09:00:00Z');
    await service.tick();
    expect(await service.drain()).toMatchObject({ delivered: 1, failed: 1, dlq: 1 });
    expect((await notificationOf(john)).status).toBe('failed');
    expect((await notificationOf(jane)).status).toBe('skipped');
    expect((await notificationOf(max)).status).toBe('delivered');

    receiver.replyWith({ status: 204 });
    const window = { from: '2027-06-01T00:00:00Z', to: '2027-06-16T00:00:00Z' };
    const dryRun = await service.api('POST', '/v1/replays', { ...window, dryRun: true });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ counts: { matched: 3, requeued: 2, skippedDelivered: 1 } });

    const started = await service.api('POST', '/v1/replays', window);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const job = started.body as Job;
    expect(started.headers.get('location')).toBe(`/v1/replays/${job.id}`);
    expect(await service.drain()).toMatchObject({ delivered: 3, pending: 0 });
    expect((await service.api('GET', `/v1/replays/${job.id}`)).body).toMatchObject({
      status: 'done',
      counts: { matched: 3, requeued: 2, skippedDelivered: 1, skippedInFlight: 0 },
    });
    for (const userId of [john, jane, max]) expect(receiver.accepted(userId), userId).toHaveLength(1);
    const johns = await notificationOf(john);
    expect(johns.status).toBe('delivered');
    expect(johns.attempts.map((attempt) => [attempt.statusCode, attempt.trigger])).toEqual([
      [400, 'scheduled'],
      [204, 'replay'],
    ]);
    expect(receiver.accepted(john)[0]?.webhookId).toBe(johns.id);

    // The same request again: the same job, nothing more is sent.
    const repeated = await service.api('POST', '/v1/replays', window);
    expect(repeated.status).toBe(200);
    expect((repeated.body as Job).id).toBe(job.id);
    await service.drain();
    for (const userId of [john, jane, max]) expect(receiver.accepted(userId), userId).toHaveLength(1);

    // Forced: every delivered one once more, with the webhook-id it had.
    const forced = await service.api('POST', '/v1/replays', { ...window, force: true });
    expect(forced.status).toBe(202);
    expect((forced.body as Job).id).not.toBe(job.id);
    await service.drain();
    for (const userId of [john, jane, max]) {
      const accepted = receiver.accepted(userId);
      expect(accepted, userId).toHaveLength(2);
      expect(accepted[1]?.webhookId).toBe(accepted[0]?.webhookId);
    }
    // Max's first POST delivered, so it is kept on the notification itself; the forced one is an
    // attempt of its own, and the log shows both.
    expect((await notificationOf(max)).attempts.map((a) => [a.sequence, a.statusCode, a.trigger])).toEqual([
      [1, 204, 'scheduled'],
      [2, 204, 'replay'],
    ]);
    expect((await service.api('POST', '/v1/replays', { ...window, force: true })).status).toBe(200);
    await service.tick();
    await service.drain();
    for (const userId of [john, jane, max]) expect(receiver.accepted(userId), userId).toHaveLength(2);
  });
});
