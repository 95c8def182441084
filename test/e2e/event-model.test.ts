import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_GLOBAL_SECRET, officiallyVerifies } from '../support/official-verifier';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface UserBody {
  id: string;
}
interface EventBody {
  id: string;
  type: string;
  nextNotificationAt: string | null;
  nextNotificationLocalDate: string | null;
}
interface NotificationBody {
  id: string;
  status: string;
  manual: boolean;
  nextAttemptAt: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();
const GLOBAL_SECRET = TEST_GLOBAL_SECRET;

const verifies = (request: ReceivedWebhook, secret: string): boolean => officiallyVerifies(request, secret);

describe('event types, user events and preferences through the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
  });

  afterEach(async () => {
    await service.stop();
    await receiver.stop();
  });

  const start = async (clockStart: string, extraEnv: Record<string, string> = {}): Promise<void> => {
    service = await startTestService({ clockStart, webhookUrl: receiver.url, extraEnv });
  };

  const createUser = async (birthday: string, timezone: string, firstName = 'John'): Promise<UserBody> => {
    const { status, body } = await service.api('POST', '/v1/users', {
      firstName,
      lastName: 'Doe',
      birthday,
      timezone,
    });
    expect(status).toBe(201);
    return body as UserBody;
  };

  const addEvent = async (userId: string, type: string, date: string): Promise<EventBody> => {
    const { status, body } = await service.api('POST', `/v1/users/${userId}/events`, { type, date });
    expect(status, JSON.stringify(body)).toBe(201);
    return body as EventBody;
  };

  const runAt = async (at: number) => {
    await service.setClock(iso(at));
    await service.tick();
    return service.drain();
  };

  it('given an anniversary type with its own template and send time, then the event is delivered at that local time with that message', async () => {
    await start('2027-05-01T00:00:00Z');
    const put = await service.api('PUT', '/v1/event-types/anniversary', {
      template: 'Happy {{years}} years, {{firstName}}! ({{date}})',
      sendAt: '18:30',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ key: 'anniversary', builtIn: true, sendAt: '18:30', version: 1 });

    const user = await createUser('1990-01-10', 'Asia/Kolkata');
    const event = await addEvent(user.id, 'anniversary', '2017-05-20');
    // 18:30 in Kolkata (+05:30) is 13:00 UTC.
    expect(event.nextNotificationAt).toBe('2027-05-20T13:00:00.000Z');

    const listed = await service.api('GET', `/v1/users/${user.id}/events`);
    expect((listed.body as { items: EventBody[] }).items.map((item) => [item.id, item.type])).toEqual([
      ['birthday', 'birthday'],
      [event.id, 'anniversary'],
    ]);

    const due = Date.parse('2027-05-20T13:00:00Z');
    await runAt(due - MINUTE);
    expect(receiver.accepted(user.id)).toHaveLength(0);
    await runAt(due);
    const got = receiver.accepted(user.id);
    expect(got).toHaveLength(1);
    expect(got[0]!.body.type).toBe('anniversary');
    expect(got[0]!.body.data).toMatchObject({
      message: 'Happy 10 years, John! (2027-05-20)',
      localDate: '2027-05-20',
      scheduledFor: '2027-05-20T13:00:00.000Z',
      eventId: event.id,
      years: 10,
    });
    expect(verifies(got[0]!, GLOBAL_SECRET)).toBe(true);

    // Once per date: later passes send nothing more, and next year's is scheduled.
    await runAt(due + HOUR);
    expect(receiver.accepted(user.id)).toHaveLength(1);
    const after = await service.api('GET', `/v1/users/${user.id}/events/${event.id}`);
    expect((after.body as EventBody).nextNotificationLocalDate).toBe('2028-05-20');
  });

  it('given a notification already queued and retrying, when the user opts out of its type, then it is cancelled and never delivered', async () => {
    await start('2027-06-01T00:00:00Z');
    const optingOut = await createUser('1990-06-15', 'UTC', 'Olga');
    const staying = await createUser('1990-06-15', 'UTC', 'Sam');
    receiver.replyWith({ status: 503 });
    const due = Date.parse('2027-06-15T09:00:00Z');
    await runAt(due);
    expect(receiver.requests).toHaveLength(2); // both attempted once, both retrying now

    const preferences = await service.api('PUT', `/v1/users/${optingOut.id}/preferences`, {
      optOut: ['birthday'],
    });
    expect(preferences.status).toBe(200);
    expect(preferences.body).toEqual({ optOut: ['birthday'], sendAt: null });

    receiver.replyWith({ status: 204 });
    await runAt(due + 10 * MINUTE);
    await runAt(due + HOUR);
    expect(receiver.accepted(staying.id)).toHaveLength(1);
    expect(receiver.accepted(optingOut.id)).toHaveLength(0);
  });

  it('given a type disabled while its notification is queued, then it is cancelled; enabled again, next year is sent', async () => {
    await start('2027-03-01T00:00:00Z');
    const user = await createUser('1980-01-01', 'UTC');
    await addEvent(user.id, 'anniversary', '2000-03-10');
    receiver.replyWith({ status: 500 });
    await runAt(Date.parse('2027-03-10T09:00:00Z'));
    expect(receiver.requests).toHaveLength(1);

    expect((await service.api('PATCH', '/v1/event-types/anniversary', { enabled: false })).status).toBe(200);
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2027-03-10T10:00:00Z'));
    expect(receiver.accepted()).toHaveLength(0);

    expect((await service.api('PATCH', '/v1/event-types/anniversary', { enabled: true })).status).toBe(200);
    await runAt(Date.parse('2028-03-10T09:00:00Z'));
    expect(receiver.accepted().map((request) => request.body.data.localDate)).toEqual(['2028-03-10']);
  });

  it("given a type's send time moved later, then an entry not yet due waits for it, and a queued one is cancelled and sent once at the new time", async () => {
    await start('2027-04-01T00:00:00Z');
    const waiting = await createUser('1980-01-01', 'UTC', 'Wanda');
    const queued = await createUser('1980-01-01', 'UTC', 'Quinn');
    await addEvent(waiting.id, 'anniversary', '2010-04-20'); // 09:00 UTC on 20 April
    await addEvent(queued.id, 'anniversary', '2010-04-10');

    // Queued: its first attempt fails, then the type moves to 15:00 while it waits for the retry.
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2027-04-10T09:00:00Z'));
    expect(receiver.requests).toHaveLength(1);
    expect((await service.api('PATCH', '/v1/event-types/anniversary', { sendAt: '15:00' })).status).toBe(200);
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2027-04-10T09:30:00Z'));
    expect(receiver.accepted()).toHaveLength(0);
    await runAt(Date.parse('2027-04-10T15:00:00Z'));
    await runAt(Date.parse('2027-04-10T16:00:00Z'));
    expect(receiver.accepted(queued.id).map((request) => request.body.data.scheduledFor)).toEqual([
      '2027-04-10T15:00:00.000Z',
    ]);

    // Not yet due: found at its old 09:00, moved to 15:00, sent then.
    await runAt(Date.parse('2027-04-20T09:00:00Z'));
    expect(receiver.accepted(waiting.id)).toHaveLength(0);
    await runAt(Date.parse('2027-04-20T15:00:00Z'));
    expect(receiver.accepted(waiting.id)).toHaveLength(1);
  });

  it("given an anchor a year old (last year's, never rewritten: ADR 0009), when the type's send time moves later while this year's is queued, then it is cancelled and sent once at the new time", async () => {
    await start('2027-04-01T00:00:00Z');
    const user = await createUser('1980-01-01', 'UTC', 'Yara');
    await addEvent(user.id, 'anniversary', '2010-04-10');
    await runAt(Date.parse('2027-04-10T09:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);

    // A year on, the stored anchor is still 2027-04-10: this year's is found on the same slot.
    // Its attempts fail for a few minutes, so the passes move past the slot and skip it since
    // (the margin rule): only the worker's rewind can put it back when the type changes.
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2028-04-10T09:00:00Z'));
    await runAt(Date.parse('2028-04-10T09:05:00Z'));
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
    expect((await service.api('PATCH', '/v1/event-types/anniversary', { sendAt: '15:00' })).status).toBe(200);
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2028-04-10T09:30:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
    await runAt(Date.parse('2028-04-10T15:00:00Z'));
    await runAt(Date.parse('2028-04-10T16:00:00Z'));
    expect(receiver.accepted(user.id).map((request) => request.body.data.scheduledFor)).toEqual([
      '2027-04-10T09:00:00.000Z',
      '2028-04-10T15:00:00.000Z',
    ]);
  });

  it("given a type's send time moved earlier while today's notification waits for a retry, then it is still delivered today, once", async () => {
    await start('2027-04-01T00:00:00Z');
    const user = await createUser('1980-01-01', 'UTC', 'Early');
    await addEvent(user.id, 'anniversary', '2010-04-10');
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2027-04-10T09:00:00Z'));
    expect(receiver.requests).toHaveLength(1);

    // 10:00: the type now sends at 08:30, already past today; today's message is still owed.
    await service.setClock(iso(Date.parse('2027-04-10T10:00:00Z')));
    expect((await service.api('PATCH', '/v1/event-types/anniversary', { sendAt: '08:30' })).status).toBe(200);
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2027-04-10T11:00:00Z'));
    await runAt(Date.parse('2027-04-11T09:00:00Z'));
    expect(receiver.accepted(user.id).map((request) => request.body.data.localDate)).toEqual(['2027-04-10']);
  });

  it("given a user's zone or own send time changes, then the birthday and every event are rescheduled", async () => {
    await start('2027-01-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC');
    const event = await addEvent(user.id, 'anniversary', '2015-08-01');
    expect(event.nextNotificationAt).toBe('2027-08-01T09:00:00.000Z');

    expect((await service.api('PATCH', `/v1/users/${user.id}`, { timezone: 'Asia/Tokyo' })).status).toBe(200);
    const events = async () =>
      ((await service.api('GET', `/v1/users/${user.id}/events`)).body as { items: EventBody[] }).items.map(
        (item) => item.nextNotificationAt,
      );
    expect(await events()).toEqual(['2027-06-15T00:00:00.000Z', '2027-08-01T00:00:00.000Z']);

    const put = await service.api('PUT', `/v1/users/${user.id}/preferences`, { optOut: [], sendAt: '20:00' });
    expect(put.body).toEqual({ optOut: [], sendAt: '20:00' });
    expect(await events()).toEqual(['2027-06-15T11:00:00.000Z', '2027-08-01T11:00:00.000Z']);
    const shown = await service.api('GET', `/v1/users/${user.id}`);
    expect(shown.body).toMatchObject({ nextNotificationAt: '2027-06-15T11:00:00.000Z' });

    await runAt(Date.parse('2027-06-15T11:00:00Z'));
    await runAt(Date.parse('2027-08-01T11:00:00Z'));
    expect(receiver.accepted(user.id).map((request) => request.body.type)).toEqual([
      'birthday',
      'anniversary',
    ]);
  });

  it("given downtime over events' due instants, then each is caught up once, or skipped past its type's maximum lateness", async () => {
    await start('2027-10-01T00:00:00Z');
    const created = await service.api('POST', '/v1/event-types', {
      key: 'flash',
      template: 'Now or never, {{firstName}}',
      maxLatenessHours: 1,
    });
    expect(created.status).toBe(201);
    const user = await createUser('1980-01-01', 'UTC');
    await addEvent(user.id, 'anniversary', '2001-10-05'); // due 2027-10-05T09:00Z, 48 h lateness
    await addEvent(user.id, 'flash', '2001-10-05'); // due at the same instant, 1 h lateness

    // Down from before the instant until a day later: the first pass after it catches up.
    await runAt(Date.parse('2027-10-05T08:00:00Z'));
    await runAt(Date.parse('2027-10-06T08:00:00Z'));
    await runAt(Date.parse('2027-10-06T09:00:00Z'));
    expect(receiver.accepted(user.id).map((request) => request.body.type)).toEqual(['anniversary']);
    expect(receiver.accepted(user.id)[0]!.body.data.scheduledFor).toBe('2027-10-05T09:00:00.000Z');
  });

  it('given a custom type with its own webhook, then its receiver gets its messages signed with its own secret', async () => {
    const own = await new TestReceiver().start();
    try {
      await start('2027-09-01T00:00:00Z', { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
      const created = await service.api('POST', '/v1/event-types', {
        key: 'name-day',
        template: 'Happy name day, {{firstName}}!',
        sendAt: '08:00',
        webhookUrl: own.url,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { webhookSecret } = created.body as { webhookSecret: string };
      expect(webhookSecret).toMatch(/^whsec_/);
      const shown = await service.api('GET', '/v1/event-types/name-day');
      expect(shown.body).toMatchObject({ key: 'name-day', webhookUrl: own.url, hasWebhookSecret: true });
      expect(JSON.stringify(shown.body)).not.toContain(webhookSecret);

      const user = await createUser('1990-01-01', 'Europe/Paris', 'Marie');
      const event = await addEvent(user.id, 'name-day', '2000-09-12');
      await runAt(Date.parse('2027-09-12T06:00:00Z')); // 08:00 CEST

      expect(receiver.requests).toHaveLength(0);
      expect(own.accepted(user.id)).toHaveLength(1);
      const got = own.accepted(user.id)[0]!;
      expect(got.body.type).toBe('name-day');
      expect(got.body.data).toMatchObject({ message: 'Happy name day, Marie!', eventId: event.id });
      expect(verifies(got, webhookSecret)).toBe(true);
      expect(verifies(got, GLOBAL_SECRET)).toBe(false);

      // A type in use cannot be deleted; once its events are gone, it can.
      expect((await service.api('DELETE', '/v1/event-types/name-day')).status).toBe(409);
      expect((await service.api('DELETE', `/v1/users/${user.id}/events/${event.id}`)).status).toBe(204);
      expect((await service.api('DELETE', '/v1/event-types/name-day')).status).toBe(204);
    } finally {
      await own.stop();
    }
  });

  it('given a manual send, then it goes out now marked manual and the scheduled one still goes out', async () => {
    await start('2027-06-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC');
    await service.setClock('2027-06-02T12:00:00Z');
    const sent = await service.api('POST', `/v1/users/${user.id}/events/birthday/send`);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ manual: true, status: 'queued' });
    await service.drain();
    expect(receiver.accepted(user.id)).toHaveLength(1);
    expect(receiver.accepted(user.id)[0]!.body.data).toMatchObject({ manual: true });

    await runAt(Date.parse('2027-06-15T09:00:00Z'));
    const got = receiver.accepted(user.id);
    expect(got).toHaveLength(2);
    expect(got[1]!.body.data).not.toHaveProperty('manual');
    expect(got[1]!.webhookId).not.toBe(got[0]!.webhookId);
  });

  it('given a pending notification, when an admin cancels one and moves another, then the first is never sent and the second goes out once at its new time', async () => {
    await start('2027-06-01T00:00:00Z');
    const cancelled = await createUser('1990-06-15', 'UTC', 'Cleo');
    const moved = await createUser('1990-06-15', 'UTC', 'Max');
    receiver.replyWith({ status: 503 });
    const due = Date.parse('2027-06-15T09:00:00Z');
    await runAt(due);
    const [first, second] = [cancelled, moved].map(
      (user) => receiver.requests.find((request) => request.body.data.userId === user.id)!.webhookId,
    );
    receiver.replyWith({ status: 204 });

    const cancel = await service.api('POST', `/v1/notifications/${first}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    expect((cancel.body as NotificationBody).status).toBe('cancelled');
    expect((await service.api('POST', `/v1/notifications/${first}/cancel`)).status).toBe(409);

    const later = due + 3 * HOUR;
    const reschedule = await service.api('POST', `/v1/notifications/${second}/reschedule`, {
      at: iso(later),
    });
    expect(reschedule.status, JSON.stringify(reschedule.body)).toBe(200);
    expect((reschedule.body as NotificationBody).nextAttemptAt).toBe(iso(later));

    // The retry's own message comes back in minutes: it must wait for the new instant.
    await runAt(due + 30 * MINUTE);
    await runAt(due + 2 * HOUR);
    expect(receiver.accepted()).toHaveLength(0);
    await runAt(later);
    await runAt(later + 20 * MINUTE);
    expect(receiver.accepted(moved.id)).toHaveLength(1);
    expect(receiver.accepted(cancelled.id)).toHaveLength(0);
    expect((await service.api('POST', `/v1/notifications/${second}/cancel`)).status).toBe(409);
  });

  it('given bad requests, then each is a 4xx problem naming the field, and nothing changes', async () => {
    await start('2027-06-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC');
    const unknownPlaceholder = await service.api('POST', '/v1/event-types', {
      key: 'x',
      template: 'Hi {{nickname}}',
    });
    expect(unknownPlaceholder.status).toBe(400);
    expect(unknownPlaceholder.body).toMatchObject({ errors: [{ path: 'template' }] });
    expect(JSON.stringify(unknownPlaceholder.body)).toContain('nickname');
    expect((await service.api('GET', '/v1/event-types/x')).status).toBe(404);

    expect((await service.api('DELETE', '/v1/event-types/birthday')).status).toBe(422);
    const reminder = await service.api('PUT', '/v1/event-types/reminder', {
      template: 'Do it, {{firstName}}',
    });
    expect(reminder.body).toMatchObject({ recurrence: 'once', version: 1, template: 'Do it, {{firstName}}' });
    const recurrence = await service.api('PATCH', '/v1/event-types/reminder', { recurrence: 'yearly' });
    expect(recurrence.body).toMatchObject({ status: 400, errors: [{ path: 'recurrence' }] });
    const stale = await service.api('PATCH', '/v1/event-types/reminder', { sendAt: '10:00' });
    expect(stale.status).toBe(200);
    expect((await service.api('POST', '/v1/event-types', { key: 'birthday', template: 'x' })).status).toBe(
      409,
    );
    const badType = await service.api('POST', `/v1/users/${user.id}/events`, {
      type: 'nope',
      date: '2020-01-01',
    });
    expect(badType.status).toBe(400);
    expect(badType.body).toMatchObject({ errors: [{ path: 'type' }] });
    const badDate = await service.api('POST', `/v1/users/${user.id}/events`, {
      type: 'reminder',
      date: '2027-02-30',
    });
    expect(badDate.body).toMatchObject({ status: 400, errors: [{ path: 'date' }] });
    const pastReminder = await service.api('POST', `/v1/users/${user.id}/events`, {
      type: 'reminder',
      date: '2027-05-01',
    });
    expect(pastReminder.body).toMatchObject({ status: 400, errors: [{ path: 'date' }] });
    expect((await service.api('DELETE', `/v1/users/${user.id}/events/birthday`)).status).toBe(422);
    const badOptOut = await service.api('PUT', `/v1/users/${user.id}/preferences`, { optOut: ['nope'] });
    expect(badOptOut.body).toMatchObject({ status: 400, errors: [{ path: 'optOut.0' }] });
    const badSendAt = await service.api('PUT', `/v1/users/${user.id}/preferences`, {
      optOut: [],
      sendAt: '25:00',
    });
    expect(badSendAt.body).toMatchObject({ status: 400, errors: [{ path: 'sendAt' }] });
    const privateHook = await service.api('POST', '/v1/event-types', {
      key: 'private',
      template: 'Hi',
      webhookUrl: 'http://10.0.0.7/hook',
    });
    expect(privateHook.body).toMatchObject({ status: 400, errors: [{ path: 'webhookUrl' }] });
    expect(
      (await service.api('POST', '/v1/notifications/occ_00000000000000000000000000000000/cancel')).status,
    ).toBe(404);

    const events = await service.api('GET', `/v1/users/${user.id}/events`);
    expect((events.body as { items: unknown[] }).items).toHaveLength(1);
    expect((await service.api('GET', `/v1/users/${user.id}/preferences`)).body).toEqual({
      optOut: [],
      sendAt: null,
    });
  });

  it('given odd input on every event-model route, then nothing answers 5xx', async () => {
    await start('2027-06-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC');
    const bodies: unknown[] = [
      null,
      [],
      'text',
      42,
      {},
      { key: 'k', template: '\ud800' },
      { key: 'k'.repeat(500), template: '{{'.repeat(600) },
      { type: 'anniversary', date: '9999-12-31' },
      { type: 'reminder', date: '0000-01-01' },
      { type: 'anniversary', date: '2000-02-29', extra: true },
      { optOut: ['birthday', 'birthday'], sendAt: null },
      { optOut: 'birthday' },
      { at: '275760-09-13T00:00:00Z' },
      { at: '1970-01-01T00:00:00Z' },
      { userId: '\ud800', eventId: '../x' },
      { userId: user.id, template: '{{__proto__}}{{constructor}}' },
      { template: 'x', recurrence: 'once', webhookUrl: 'javascript:alert(1)' },
      { enabled: 'yes', maxLatenessHours: 1e308, leapDay: 'feb29', sendAt: '24:00' },
    ];
    const paths: [string, string][] = [
      ['POST', '/v1/event-types'],
      ['PUT', '/v1/event-types/anniversary'],
      ['PATCH', '/v1/event-types/reminder'],
      ['POST', '/v1/event-types/birthday/preview'],
      ['POST', `/v1/users/${user.id}/events`],
      ['PUT', `/v1/users/${user.id}/preferences`],
      ['POST', '/v1/notifications/occ_00000000000000000000000000000000/reschedule'],
      ['POST', `/v1/users/${user.id}/events/%E0%A4%A/send`],
      ['DELETE', '/v1/event-types/%00'],
      ['GET', `/v1/users/${user.id}/events/..%2F..`],
    ];
    for (const [method, path] of paths) {
      for (const body of bodies) {
        const { status } = await service.api(
          method,
          path,
          method === 'GET' || method === 'DELETE' ? undefined : body,
        );
        expect(status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
    }
  });

  it('given an anchor left in a past year (year-less index), then the view, a preview and a manual send name the next date', async () => {
    await start('2027-06-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC', 'Ada');
    const event = await addEvent(user.id, 'anniversary', '2019-07-01');
    receiver.replyWith({ status: 204 });
    // Past 2027's and 2028's: the passes handle them and write nothing, so the anchor stays 2027's.
    await service.setClock('2028-08-01T00:00:00Z');
    const shown = await service.api('GET', `/v1/users/${user.id}/events/${event.id}`);
    expect((shown.body as EventBody).nextNotificationLocalDate).toBe('2029-07-01');
    const preview = await service.api('POST', '/v1/event-types/anniversary/preview', {
      userId: user.id,
      eventId: event.id,
      template: '{{years}} years on {{date}}',
    });
    expect(preview.body).toMatchObject({ message: '10 years on 2029-07-01', localDate: '2029-07-01' });
    const sent = await service.api('POST', `/v1/users/${user.id}/events/${event.id}/send`);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ localDate: '2029-07-01' });
  });

  it('given a preview request, then the template is rendered for the user without sending anything', async () => {
    await start('2027-06-01T00:00:00Z');
    const user = await createUser('1990-06-15', 'UTC', 'Ada');
    const event = await addEvent(user.id, 'anniversary', '2019-07-01');
    const preview = await service.api('POST', '/v1/event-types/anniversary/preview', {
      userId: user.id,
      eventId: event.id,
      template: '{{fullName}}: {{years}} years on {{date}}',
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({
      message: 'Ada Doe: 8 years on 2027-07-01',
      localDate: '2027-07-01',
    });
    const birthday = await service.api('POST', '/v1/event-types/birthday/preview', { userId: user.id });
    expect(birthday.body).toMatchObject({ message: "Hey, Ada Doe it's your birthday" });
    await service.drain();
    expect(receiver.requests).toHaveLength(0);
  });
});
