import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TestReceiver } from '../support/receiver';
import { startTestService, type TestService } from '../support/local-service';

interface UserBody {
  id: string;
  nextNotificationAt: string | null;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('birthday webhooks through the local runtime', () => {
  let receiver: TestReceiver;
  let service: TestService;

  beforeEach(async () => {
    receiver = await new TestReceiver().start();
  });

  afterEach(async () => {
    await service.stop();
    await receiver.stop();
  });

  const start = async (clockStart: string): Promise<void> => {
    service = await startTestService({ clockStart, webhookUrl: receiver.url });
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

  /** Moves the clock to `at`, runs the pass the timer would, and waits for the queue to settle. */
  const runAt = async (at: number) => {
    await service.setClock(iso(at));
    await service.tick();
    return service.drain();
  };

  it('given users in zones from -11:00 to +14:00, when each one 09:00 local comes, then each gets one webhook at that instant', async () => {
    await start('2027-06-14T00:00:00Z');
    const zones: [string, string][] = [
      ['Pacific/Kiritimati', '2027-06-14T19:00:00.000Z'], // +14:00, 09:00 on 15 June
      ['Asia/Kathmandu', '2027-06-15T03:15:00.000Z'], // +05:45
      ['Asia/Kolkata', '2027-06-15T03:30:00.000Z'], // +05:30
      ['Europe/Berlin', '2027-06-15T07:00:00.000Z'], // +02:00 (summer time)
      ['UTC', '2027-06-15T09:00:00.000Z'],
      ['America/St_Johns', '2027-06-15T11:30:00.000Z'], // -02:30 (summer time)
      ['America/New_York', '2027-06-15T13:00:00.000Z'], // -04:00
      ['Pacific/Pago_Pago', '2027-06-15T20:00:00.000Z'], // -11:00
    ];
    const users = await Promise.all(zones.map(([zone]) => createUser('1990-06-15', zone)));
    users.forEach((user, index) => {
      expect(user.nextNotificationAt).toBe(zones[index]?.[1]);
    });

    for (const [index, [zone, dueIso]] of zones.entries()) {
      const due = Date.parse(dueIso);
      const user = users[index]!;
      await runAt(due - MINUTE);
      expect(receiver.accepted(user.id), `${zone} early`).toHaveLength(0);
      await runAt(due);
      const got = receiver.accepted(user.id);
      expect(got, zone).toHaveLength(1);
      expect(got[0]!.body.data.scheduledFor).toBe(dueIso);
      expect(got[0]!.body.data.timezone).toBe(zone);
      expect(got[0]!.body.data.localDate).toBe('2027-06-15');
      expect(got[0]!.body.data.message).toBe("Hey, John Doe it's your birthday");
      // Sent at the due instant, not before, and within the same tick.
      expect(got[0]!.webhookTimestamp * 1000).toBeGreaterThanOrEqual(due - SECOND);
      expect(got[0]!.webhookTimestamp * 1000).toBeLessThan(due + MINUTE);
    }
    expect(receiver.requests).toHaveLength(zones.length);
  });

  it('given a 29 February birthday, then it is sent on 28 February in a common year and on 29 February in a leap year', async () => {
    await start('2027-01-01T00:00:00Z');
    const user = await createUser('2000-02-29', 'Europe/London');
    expect(user.nextNotificationAt).toBe('2027-02-28T09:00:00.000Z');
    await runAt(Date.parse('2027-02-28T09:00:00Z'));
    expect(receiver.accepted(user.id).map((r) => r.body.data.localDate)).toEqual(['2027-02-28']);

    await runAt(Date.parse('2028-02-28T09:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
    await runAt(Date.parse('2028-02-29T09:00:00Z'));
    expect(receiver.accepted(user.id).map((r) => r.body.data.localDate)).toEqual([
      '2027-02-28',
      '2028-02-29',
    ]);
  });

  it('given a day of downtime over the due instant, when the scheduler comes back, then the missed webhook is sent once', async () => {
    await start('2027-03-01T00:00:00Z');
    const user = await createUser('1985-03-10', 'Asia/Tokyo'); // due 2027-03-10T00:00Z
    await runAt(Date.parse('2027-03-09T23:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(0);

    const back = Date.parse('2027-03-11T00:30:00Z');
    const result = await runAt(back);
    expect(result.delivered).toBe(1);
    await runAt(back + HOUR);
    await runAt(back + 2 * HOUR);
    expect(receiver.accepted(user.id)).toHaveLength(1);
    expect(receiver.accepted(user.id)[0]!.body.data.scheduledFor).toBe('2027-03-10T00:00:00.000Z');
  });

  it('given a receiver down for hours, when it comes back, then the webhook arrives once and the DLQ stays empty', async () => {
    await start('2027-05-01T00:00:00Z');
    const user = await createUser('1970-05-01', 'UTC'); // due 2027-05-01T09:00Z
    receiver.replyWith({ status: 503 });
    let now = Date.parse('2027-05-01T09:00:00Z');
    await runAt(now);
    // Five hours of outage, looked at every ten simulated minutes.
    for (let step = 0; step < 30; step += 1) {
      now += 10 * MINUTE;
      await runAt(now);
    }
    expect(receiver.requests.length).toBeGreaterThan(1);
    expect(receiver.accepted(user.id)).toHaveLength(0);

    receiver.replyWith({ status: 200 });
    now += MINUTE;
    let result = await runAt(now);
    for (let step = 0; step < 24 && receiver.accepted(user.id).length === 0; step += 1) {
      now += 30 * MINUTE;
      result = await runAt(now);
    }
    expect(receiver.accepted(user.id)).toHaveLength(1);
    expect(result.dlq).toBe(0);
    // Every attempt carried the same webhook-id.
    expect(new Set(receiver.requests.map((r) => r.webhookId)).size).toBe(1);
  });

  it('given a receiver answering 400, then the notification fails permanently into the DLQ without retries', async () => {
    await start('2027-07-01T00:00:00Z');
    await createUser('1999-07-04', 'America/Chicago');
    receiver.replyWith({ status: 400 });
    const result = await runAt(Date.parse('2027-07-04T14:00:00Z'));
    expect(result).toMatchObject({ failed: 1, dlq: 1, delivered: 0 });
    expect(receiver.requests).toHaveLength(1);
    const later = await runAt(Date.parse('2027-07-05T14:00:00Z'));
    expect(later.dlq).toBe(1);
    expect(receiver.requests).toHaveLength(1);
  });

  it('given every queue message delivered twice, concurrently, then the receiver still gets one webhook', async () => {
    service = await startTestService({
      clockStart: '2027-08-01T00:00:00Z',
      webhookUrl: receiver.url,
      faults: { deliverEveryMessageTwice: true },
    });
    const first = await createUser('1988-08-08', 'Asia/Kolkata'); // due 2027-08-08T03:30Z
    const second = await createUser('1988-08-08', 'Asia/Kolkata');
    // The first attempt fails so the retry's messages are doubled too.
    receiver.replyWith((request) => ({ status: request.body.data.userId === first.id ? 503 : 204 }));
    let now = Date.parse('2027-08-08T03:30:00Z');
    await runAt(now);
    receiver.replyWith({ status: 204 });
    for (let step = 0; step < 3; step += 1) {
      now += 10 * MINUTE;
      await runAt(now);
    }
    expect(receiver.accepted(first.id)).toHaveLength(1);
    expect(receiver.accepted(second.id)).toHaveLength(1);
  });

  it('given ticks at the same instant as a clock jump, then the passes run one after another and one webhook is sent', async () => {
    await start('2027-09-01T00:00:00Z');
    const user = await createUser('1991-09-09', 'Europe/Paris'); // due 2027-09-09T07:00Z
    // The jump itself starts a pass in the background; three more are asked for at once. The
    // local runtime runs them one after another (passes side by side are the fault suite's
    // two-scheduler scenario): the first hands the user on, the others find it handled.
    await service.setClock('2027-09-09T07:00:00Z');
    const passes = await Promise.all([service.tick(), service.tick(), service.tick()]);
    expect(passes.reduce((sum, pass) => sum + pass.enqueued, 0)).toBeLessThanOrEqual(1);
    expect((await service.drain()).delivered).toBe(1);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.accepted(user.id)).toHaveLength(1);
  });

  it('given a user deleted while the notification is being retried, then nothing more is sent', async () => {
    await start('2027-10-01T00:00:00Z');
    const user = await createUser('1975-10-10', 'UTC');
    receiver.replyWith({ status: 500 });
    await runAt(Date.parse('2027-10-10T09:00:00Z'));
    expect(receiver.requests).toHaveLength(1);
    expect((await service.api('DELETE', `/v1/users/${user.id}`)).status).toBe(204);
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2027-10-10T10:00:00Z'));
    await runAt(Date.parse('2027-10-11T10:00:00Z'));
    expect(receiver.accepted()).toHaveLength(0);
  });

  it('given a user deleted before the due day, then nothing is ever sent', async () => {
    await start('2027-10-01T00:00:00Z');
    const user = await createUser('1975-10-10', 'UTC');
    expect((await service.api('DELETE', `/v1/users/${user.id}`)).status).toBe(204);
    await runAt(Date.parse('2027-10-10T09:00:00Z'));
    expect(receiver.requests).toHaveLength(0);
  });

  it("given the day's message went out, when the time zone moves west, then no second message is sent that day", async () => {
    await start('2027-11-01T00:00:00Z');
    const user = await createUser('1980-11-11', 'Asia/Tokyo'); // 2027-11-11T00:00Z
    await runAt(Date.parse('2027-11-11T00:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
    const patched = await service.api('PATCH', `/v1/users/${user.id}`, { timezone: 'America/Los_Angeles' });
    expect(patched.status).toBe(200);
    // The day's message went out: what the user shows next is next year's, not today's LA 09:00.
    expect((patched.body as UserBody).nextNotificationAt).toBe('2028-11-11T17:00:00.000Z');
    // 09:00 in Los Angeles on the same local date is still ahead: the same occurrence, already delivered.
    await runAt(Date.parse('2027-11-11T17:00:00Z'));
    await runAt(Date.parse('2027-11-12T17:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
  });

  it("given a time zone change before delivery, then only the new zone's 09:00 is sent", async () => {
    await start('2027-11-01T00:00:00Z');
    const user = await createUser('1980-11-11', 'Asia/Tokyo');
    await service.api('PATCH', `/v1/users/${user.id}`, { timezone: 'Europe/Berlin' });
    await runAt(Date.parse('2027-11-11T00:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(0);
    await runAt(Date.parse('2027-11-11T08:00:00Z')); // 09:00 CET
    const got = receiver.accepted(user.id);
    expect(got).toHaveLength(1);
    expect(got[0]!.body.data.timezone).toBe('Europe/Berlin');
  });

  it('given a clock running 3600 times faster and a slow receiver, then the attempt keeps its claim and one webhook arrives', async () => {
    service = await startTestService({
      clockStart: '2027-12-01T00:00:00Z',
      webhookUrl: receiver.url,
      extraEnv: { CLOCK_RATE: '3600' },
    });
    const user = await createUser('1960-12-12', 'UTC');
    // 300 ms of real time is 18 simulated minutes: far beyond an unscaled lease or visibility.
    receiver.replyWith({ status: 204, delayMs: 300 });
    await service.setClock('2027-12-12T09:00:00Z');
    await service.tick();
    await service.drain();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.accepted(user.id)).toHaveLength(1);
  });

  it('given a retry whose message outlived the queue retention, then the scheduler finds it and it is delivered once', async () => {
    await start('2027-05-01T00:00:00Z');
    const user = await createUser('1970-05-01', 'UTC');
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2027-05-01T09:00:00Z'));
    expect(receiver.requests).toHaveLength(1);
    receiver.replyWith({ status: 204 });
    // Eight days later: the 7-day retention of the queue has dropped the retry's message.
    const result = await runAt(Date.parse('2027-05-09T09:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
    expect(result).toMatchObject({ dlq: 0, pending: 0 });
    await runAt(Date.parse('2027-05-09T12:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
  });

  it('given a restart while a retry is pending, then the webhook is still delivered once', async () => {
    await start('2027-12-01T00:00:00Z');
    const user = await createUser('1960-12-12', 'UTC');
    receiver.replyWith({ status: 503 });
    await runAt(Date.parse('2027-12-12T09:00:00Z'));
    service = await service.restart();
    receiver.replyWith({ status: 204 });
    await runAt(Date.parse('2027-12-12T10:00:00Z'));
    expect(receiver.accepted(user.id)).toHaveLength(1);
  });
});

describe('webhook signatures', () => {
  it('given the real clock, then the reference standardwebhooks package verifies what the receiver got', async () => {
    const receiver = await new TestReceiver().start();
    const now = new Date();
    const service = await startTestService({ clockStart: now.toISOString(), webhookUrl: receiver.url });
    try {
      // A birthday today whose 09:00 lies ahead in some zone: pick the zone where it is 08:00 now.
      const user = await service.api('POST', '/v1/users', {
        firstName: 'Ada',
        lastName: 'Lovelace',
        birthday: '1990-01-01',
        timezone: 'UTC',
      });
      expect(user.status).toBe(201);
      const due = Date.parse((user.body as UserBody).nextNotificationAt ?? '');
      vi.useFakeTimers({ now: due, toFake: ['Date'] });
      await service.setClock(new Date(due).toISOString());
      await service.tick();
      await service.drain();
      const [request] = receiver.requests;
      expect(request).toBeDefined();
      const verified = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(request!.rawBody, {
        'webhook-id': request!.webhookId,
        'webhook-timestamp': String(request!.webhookTimestamp),
        'webhook-signature': request!.signature,
      });
      expect(verified).toMatchObject({ type: 'birthday', data: { fullName: 'Ada Lovelace' } });
      expect(() =>
        new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(`${request!.rawBody} `, {
          'webhook-id': request!.webhookId,
          'webhook-timestamp': String(request!.webhookTimestamp),
          'webhook-signature': request!.signature,
        }),
      ).toThrow();
    } finally {
      vi.useRealTimers();
      await service.stop();
      await receiver.stop();
    }
  });
});
