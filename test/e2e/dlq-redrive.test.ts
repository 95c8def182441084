import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestReceiver } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface DeadLetter {
  messageId: string;
  occurrenceId: string | null;
  notificationStatus: string | null;
  reason: string | null;
}

describe('a failed notification redriven from the DLQ through the local runtime', () => {
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

  it('given a receiver answering 400, when the notification fails, is listed, the receiver is fixed and it is redriven, then it is delivered exactly once', async () => {
    const created = await service.api('POST', '/v1/users', {
      firstName: 'John',
      lastName: 'Doe',
      birthday: '1990-06-15',
      timezone: 'UTC',
    });
    expect(created.status).toBe(201);
    const userId = (created.body as { id: string }).id;
    receiver.replyWith({ status: 400 });

    await service.setClock('2027-06-15T09:00:00Z');
    await service.tick();
    expect(await service.drain()).toMatchObject({ delivered: 0, failed: 1, dlq: 1 });

    const listed = await service.api('GET', '/v1/dlq');
    expect(listed.status).toBe(200);
    const items = (listed.body as { items: DeadLetter[] }).items;
    expect(items).toHaveLength(1);
    const [letter] = items;
    if (!letter?.occurrenceId) throw new Error('no dead letter');
    expect(letter).toMatchObject({ notificationStatus: 'failed' });
    expect(letter.reason).toMatch(/^HTTP 400/);
    expect((await service.api('GET', `/v1/notifications/${letter.occurrenceId}`)).body).toMatchObject({
      status: 'failed',
    });

    receiver.replyWith({ status: 204 });
    const redriven = await service.api('POST', '/v1/dlq/redrive', { messageIds: [letter.messageId] });
    expect(redriven.status).toBe(200);
    expect(redriven.body).toMatchObject({
      remaining: 0,
      results: [{ status: 200, notificationStatus: 'queued' }],
    });

    expect(await service.drain()).toMatchObject({ delivered: 1, dlq: 0, pending: 0 });
    expect(receiver.accepted(userId)).toHaveLength(1);
    const detail = await service.api('GET', `/v1/notifications/${letter.occurrenceId}`);
    expect(detail.body).toMatchObject({ status: 'delivered' });
    expect((detail.body as { attempts: { statusCode: number }[] }).attempts.map((a) => a.statusCode)).toEqual(
      [400, 204],
    );

    // Later passes, a second redrive and a day later: still exactly one delivery.
    expect((await service.api('POST', '/v1/dlq/redrive', { all: true })).body).toMatchObject({ results: [] });
    await service.setClock('2027-06-16T09:00:00Z');
    await service.tick();
    await service.drain();
    expect(receiver.accepted(userId)).toHaveLength(1);
    expect((await service.api('GET', '/v1/dlq')).body).toMatchObject({ items: [], approximateCount: 0 });
  });
});
