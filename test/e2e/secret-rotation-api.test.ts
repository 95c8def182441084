import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '#adapters/webhook/signature';
import { TEST_GLOBAL_SECRET, officiallyVerifies } from '../support/official-verifier';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface Json {
  [key: string]: unknown;
}

const HOUR = 3_600_000;
const START = Date.parse('2027-05-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const GLOBAL_SECRET = TEST_GLOBAL_SECRET;

const verifies = (request: ReceivedWebhook, secret: string): boolean => officiallyVerifies(request, secret);

describe('secret rotation through the API and the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
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

  /** A test send of the user's event, delivered now; the request the receiver got. */
  const sendNow = async (userId: string, eventId: string): Promise<ReceivedWebhook> => {
    const before = receiver.requests.length;
    expect((await call('POST', `/v1/users/${userId}/events/${eventId}/send`)).status).toBe(202);
    await service.drain();
    expect(receiver.requests.length).toBe(before + 1);
    return receiver.requests.at(-1)!;
  };

  const givenAUser = async (): Promise<string> => {
    const created = await call('POST', '/v1/users', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      birthday: '1990-12-10',
      timezone: 'Europe/London',
    });
    return created.body.id as string;
  };

  it('given a type with its own webhook, when its secret is rotated, then receivers on either secret verify during the overlap and only the new one after it', async () => {
    service = await startTestService({
      clockStart: iso(START),
      webhookUrl: receiver.url,
      extraEnv: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
    });
    const type = await call('POST', '/v1/event-types', {
      key: 'name-day',
      template: 'Happy name day, {{firstName}}',
      webhookUrl: receiver.url,
    });
    expect(type.status, JSON.stringify(type.body)).toBe(201);
    const oldSecret = type.body.webhookSecret as string;
    const userId = await givenAUser();
    const event = await call('POST', `/v1/users/${userId}/events`, { type: 'name-day', date: '2000-07-26' });
    const eventId = event.body.id as string;

    const rotated = await call('POST', '/v1/event-types/name-day/rotate-secret', { overlapHours: 48 });

    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const newSecret = rotated.body.webhookSecret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body).toMatchObject({ key: 'name-day', hasWebhookSecret: true });
    // The local clock runs (at rate 1) from START: the overlap ends 48 h after the rotation.
    const overlapEnds = Date.parse(rotated.body.previousSecretExpiresAt as string);
    expect(overlapEnds - START - 48 * HOUR).toBeGreaterThanOrEqual(0);
    expect(overlapEnds - START - 48 * HOUR).toBeLessThan(60_000);
    expect((await call('GET', '/v1/event-types/name-day')).body).not.toHaveProperty('webhookSecret');
    const audit = await call('GET', '/v1/audit?resource=event-type&resourceId=name-day');
    expect(JSON.stringify(audit.body)).not.toContain(newSecret.slice(6, 20));

    const during = await sendNow(userId, eventId);
    expect(during.signature).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verifies(during, oldSecret)).toBe(true);
    expect(verifies(during, newSecret)).toBe(true);

    // An edit of the type during the overlap keeps it.
    expect(
      (await call('PATCH', '/v1/event-types/name-day', { template: 'Name day, {{firstName}}!' })).status,
    ).toBe(200);
    const afterEdit = await sendNow(userId, eventId);
    expect(verifies(afterEdit, oldSecret)).toBe(true);
    expect(verifies(afterEdit, newSecret)).toBe(true);

    await service.setClock(iso(overlapEnds));
    const after = await sendNow(userId, eventId);
    expect(after.signature).toMatch(/^v1,\S+$/);
    expect(verifies(after, oldSecret)).toBe(false);
    expect(verifies(after, newSecret)).toBe(true);
  });

  it('given rotate-secret requests that cannot be carried out, then 400, 404 and 409 problems and nothing changes', async () => {
    service = await startTestService({ clockStart: iso(START), webhookUrl: receiver.url });

    const noWebhook = await call('POST', '/v1/event-types/birthday/rotate-secret');
    expect(noWebhook.status).toBe(409);
    expect(noWebhook.body.detail).toMatch(/no webhook of its own/);
    expect((await call('POST', '/v1/event-types/nothing-here/rotate-secret', {})).status).toBe(404);
    const tooLong = await call('POST', '/v1/event-types/birthday/rotate-secret', { overlapHours: 169 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([
      { path: 'overlapHours', message: expect.stringMatching(/1 to 168/) as string },
    ]);
    expect((await call('GET', '/v1/event-types/birthday')).body).toMatchObject({ version: 0 });
  });

  it('given WEBHOOK_PREVIOUS_SECRET with its end, then global webhooks carry both signatures until then and only the new one after', async () => {
    const previousSecret = generateWebhookSecret();
    const overlapEnds = START + 6 * HOUR;
    service = await startTestService({
      clockStart: iso(START),
      webhookUrl: receiver.url,
      extraEnv: {
        WEBHOOK_PREVIOUS_SECRET: previousSecret,
        WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: iso(overlapEnds),
      },
    });
    const userId = await givenAUser();

    const during = await sendNow(userId, 'birthday');
    expect(verifies(during, previousSecret)).toBe(true);
    expect(verifies(during, GLOBAL_SECRET)).toBe(true);

    await service.setClock(iso(overlapEnds));
    const after = await sendNow(userId, 'birthday');
    expect(verifies(after, previousSecret)).toBe(false);
    expect(verifies(after, GLOBAL_SECRET)).toBe(true);
  });
});
