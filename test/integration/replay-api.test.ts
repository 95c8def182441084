import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
});

import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { ManualClock } from '#commons/clock';
import { markDelivered, newOccurrence, type Occurrence, type OccurrenceStatus } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import { composeReplay } from '#handlers/replay-composition';
import type { ReplayWindow } from '#use-cases/replay-window.use-case';
import { startTestApi, type TestApi } from '../support/test-api';

const NOW = Date.parse('2027-04-10T12:00:00Z');
const HOUR = 3_600_000;
const SHARDS = 4; // as startTestApi composes the API
const USER = '0190a000-0000-7000-8000-000000000001';
const OTHER_USER = '0190a000-0000-7000-8000-000000000002';
const MARCH = { from: '2027-03-01T00:00:00Z', to: '2027-04-01T00:00:00Z' };

interface Job {
  id: string;
  status: string;
  total: number;
  counts: Record<string, number>;
  request: Record<string, unknown>;
  error: string | null;
}

/** One occurrence of `status` due at `scheduledFor`, written as the pipeline would leave it. */
function occurrenceOf(
  status: OccurrenceStatus,
  scheduledFor: number,
  options: { userId?: string; eventKey?: string; tag?: string } = {},
): Occurrence {
  const userId = options.userId ?? USER;
  const eventKey = options.eventKey ?? 'birthday';
  const localDate = new Date(scheduledFor).toISOString().slice(0, 10);
  const base = newOccurrence(
    {
      occurrenceId: occurrenceId(userId, `${eventKey}${options.tag ?? ''}`, localDate),
      userId,
      eventKey,
      localDate,
      timezone: 'UTC',
      scheduledFor,
      fingerprint: 'x',
    },
    scheduledFor,
    false,
  );
  if (status === 'delivered') return markDelivered(base, scheduledFor + 1_000);
  return { ...base, status, ...(status === 'queued' ? {} : { watchAt: undefined }) };
}

describe('replay / recover: POST /v1/replays on the real stand-ins', () => {
  const clock = new ManualClock(NOW);
  let api: TestApi;
  let occurrences: DynamoOccurrenceRepository;
  let replays: ReplayWindow;
  const seeded: Record<string, Occurrence> = {};

  /** Every message on the notifications queue now, removed: what a replay sent since the last call. */
  async function takeMessages(): Promise<{ occurrenceId: string; correlationId?: string }[]> {
    const taken: { occurrenceId: string; correlationId?: string }[] = [];
    for (;;) {
      const { Messages = [] } = await api.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: api.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return taken;
      for (const message of Messages) {
        taken.push(JSON.parse(message.Body ?? '{}') as { occurrenceId: string });
        await api.sqs.send(
          new DeleteMessageCommand({ QueueUrl: api.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
  }

  const stored = async (name: string): Promise<Occurrence> => {
    const occurrence = await occurrences.get(seeded[name]?.occurrenceId ?? '');
    if (!occurrence) throw new Error(`no occurrence ${name}`);
    return occurrence;
  };

  const post = (body: unknown) => api.call('POST', '/v1/replays', { body });

  beforeAll(async () => {
    api = await startTestApi({ clock });
    occurrences = new DynamoOccurrenceRepository({
      client: api.table.doc,
      tableName: api.table.tableName,
      watchShards: SHARDS,
    });
    if (!api.deps.replays) throw new Error('the API has no replays');
    replays = api.deps.replays;
    const march = Date.parse('2027-03-05T09:00:00Z');
    const seeds: Record<string, Occurrence> = {
      failed: occurrenceOf('failed', march),
      skipped: occurrenceOf('skipped', march + HOUR),
      delivered: occurrenceOf('delivered', march + 2 * HOUR),
      cancelled: occurrenceOf('cancelled', march + 3 * HOUR),
      retrying: occurrenceOf('retrying', march + 4 * HOUR),
      otherUsersFailed: occurrenceOf('failed', march + 5 * HOUR, { userId: OTHER_USER }),
      // Outside the window: never touched.
      februaryFailed: occurrenceOf('failed', Date.parse('2027-02-20T09:00:00Z')),
    };
    for (const [name, occurrence] of Object.entries(seeds)) {
      // One event per seed (`birthday-<name>`), all on one local date.
      occurrence.occurrenceId = occurrenceId(occurrence.userId, `birthday-${name}`, occurrence.localDate);
      expect(await occurrences.create(occurrence)).toBe(true);
      seeded[name] = occurrence;
    }
  }, 60_000);

  afterAll(async () => {
    await replays.settled();
    await api.stop();
  });

  it('given failed, skipped, delivered, cancelled and retrying notifications, when a dry run is asked for, then it answers the counts and changes nothing', async () => {
    const answer = await post({ ...MARCH, userId: USER, dryRun: true });

    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({
      dryRun: true,
      request: {
        from: '2027-03-01T00:00:00.000Z',
        userId: USER,
        status: ['failed', 'skipped'],
        force: false,
      },
      counts: {
        matched: 5,
        requeued: 2,
        skippedDelivered: 1,
        skippedInFlight: 1,
        skippedOtherStatus: 1,
        skippedChanged: 0,
      },
      limit: 10_000,
    });
    expect(answer.headers.get('location')).toBeNull();
    expect((await stored('failed')).version).toBe(seeded.failed?.version);
    expect(await takeMessages()).toEqual([]);
    expect((await api.call('GET', '/v1/replays')).body).toMatchObject({ items: [] });
  });

  it('given the same window, when it is replayed, then failed and skipped ones are queued again with the job recorded, delivered, cancelled and in-flight ones are left, and the job shows done', async () => {
    const answer = await post({ ...MARCH, userId: USER });

    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const job = answer.body as unknown as Job;
    expect(job.id).toMatch(/^rpl_[0-9a-f]{32}$/);
    expect(answer.headers.get('location')).toBe(`/v1/replays/${job.id}`);
    expect(job).toMatchObject({ total: 5 });
    await replays.settled();

    const progress = await api.call('GET', `/v1/replays/${job.id}`);
    expect(progress.status).toBe(200);
    expect(progress.body).toMatchObject({
      id: job.id,
      status: 'done',
      error: null,
      counts: { matched: 5, requeued: 2, skippedDelivered: 1, skippedInFlight: 1, skippedOtherStatus: 1 },
    });
    for (const name of ['failed', 'skipped']) {
      expect(await stored(name), name).toMatchObject({ status: 'queued', replayedBy: job.id, attempts: 0 });
    }
    expect(await stored('delivered')).toMatchObject({
      status: 'delivered',
      version: seeded.delivered?.version,
    });
    expect(await stored('cancelled')).toMatchObject({
      status: 'cancelled',
      version: seeded.cancelled?.version,
    });
    expect(await stored('otherUsersFailed')).toMatchObject({ status: 'failed' });
    expect(await stored('februaryFailed')).toMatchObject({ status: 'failed' });
    const sent = await takeMessages();
    expect(sent.map((message) => message.occurrenceId).sort()).toEqual(
      [seeded.failed?.occurrenceId, seeded.skipped?.occurrenceId].sort(),
    );
    expect(sent.every((message) => message.correlationId === job.id)).toBe(true);

    const notification = await api.call('GET', `/v1/notifications/${seeded.failed?.occurrenceId ?? ''}`);
    expect(notification.body).toMatchObject({ status: 'queued', statusReason: `replayed by ${job.id}` });
  });

  it('given a replay that ran, when the same request comes again (fields in another order), then it answers the same job with 200 and starts nothing', async () => {
    const first = (await api.call('GET', '/v1/replays')).body.items as Job[];
    expect(first).toHaveLength(1);
    const before = await stored('failed');

    const again = await post({
      userId: USER,
      status: ['skipped', 'failed', 'failed'],
      to: MARCH.to,
      from: '2027-03-01T01:00:00+01:00',
    });
    await replays.settled();

    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((again.body as unknown as Job).id).toBe(first[0]?.id);
    expect(again.headers.get('location')).toBe(`/v1/replays/${first[0]?.id ?? ''}`);
    expect(await takeMessages()).toEqual([]);
    expect((await stored('failed')).version).toBe(before.version);
    expect((await api.call('GET', '/v1/replays')).body.items).toHaveLength(1);
  });

  it('given a delivered notification, when the window is replayed with force, then it is queued again (same id, so the same webhook-id) once, and in-flight ones are still left', async () => {
    const answer = await post({ ...MARCH, userId: USER, force: true });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const job = answer.body as unknown as Job;
    expect(job.request).toMatchObject({ status: ['delivered', 'failed', 'skipped'], force: true });
    await replays.settled();

    expect((await api.call('GET', `/v1/replays/${job.id}`)).body).toMatchObject({
      status: 'done',
      // failed and skipped are queued by the first replay now: on their way.
      counts: { matched: 5, requeued: 1, skippedInFlight: 3, skippedOtherStatus: 1, skippedDelivered: 0 },
    });
    expect(await stored('delivered')).toMatchObject({ status: 'queued', replayedBy: job.id });
    expect((await takeMessages()).map((message) => message.occurrenceId)).toEqual([
      seeded.delivered?.occurrenceId,
    ]);

    // The same forced job run again (a Lambda retry): nothing is queued a second time.
    expect(await replays.run(job.id)).toMatchObject({ kind: 'done' });
    const delivered = await stored('delivered');
    expect(await occurrences.save(markDelivered(delivered, clock.now()))).toBe(true);
    expect((await post({ ...MARCH, userId: USER, force: true })).status).toBe(200);
    await replays.settled();
    expect(await stored('delivered')).toMatchObject({ status: 'delivered' });
    expect(await takeMessages()).toEqual([]);
  });

  it('given bad input, when it is posted, then 400 names the field and nothing is created', async () => {
    const cases: [unknown, string][] = [
      [{ ...MARCH, status: 'queued' }, 'status'],
      [{ ...MARCH, status: ['failed', 'sending'] }, 'status'],
      [{ from: '2026-01-01T00:00:00Z', to: '2027-03-01T00:00:00Z' }, 'to'],
      [{ from: MARCH.to, to: MARCH.from }, 'to'],
      [{ ...MARCH, userId: 'nobody' }, 'userId'],
      [{ ...MARCH, force: 'yes' }, 'force'],
      [{ ...MARCH, extra: 1 }, 'extra'],
      [{ to: MARCH.to }, 'from'],
    ];
    for (const [body, field] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((answer.body.errors as { path: string }[]).map((error) => error.path)).toContain(field);
    }
    expect((await api.call('GET', '/v1/replays')).body.items).toHaveLength(2);
    expect(await takeMessages()).toEqual([]);
    expect((await api.call('GET', '/v1/replays/rpl_nothere')).status).toBe(404);
    expect((await api.call('GET', `/v1/replays/rpl_${'0'.repeat(32)}`)).status).toBe(404);
  });
});

describe('replay / recover: the cap and the job’s progress', () => {
  const clock = new ManualClock(NOW);
  let api: TestApi;
  let occurrences: DynamoOccurrenceRepository;
  const may = Date.parse('2027-05-01T09:00:00Z');
  const MAY = { from: '2027-05-01T00:00:00Z', to: '2027-06-01T00:00:00Z' };
  const seeded: Occurrence[] = [];

  beforeAll(async () => {
    api = await startTestApi({ clock, maxReplayOccurrences: 200 });
    occurrences = new DynamoOccurrenceRepository({
      client: api.table.doc,
      tableName: api.table.tableName,
      watchShards: SHARDS,
    });
    // 150 failed notifications: more than one page (100) of the job.
    for (let i = 0; i < 150; i += 1) {
      const occurrence = occurrenceOf('failed', may + Math.floor(i / 3) * HOUR, { tag: `-${i}` });
      expect(await occurrences.create(occurrence)).toBe(true);
      seeded.push(occurrence);
    }
  }, 60_000);

  afterAll(async () => {
    await api.deps.replays?.settled();
    await api.stop();
  });

  it('given a window over the cap, when it is replayed (or dry run), then 422 tells to narrow it and nothing is started or changed', async () => {
    const small = await startTestApi({ clock, maxReplayOccurrences: 149 });
    try {
      const smallOccurrences = new DynamoOccurrenceRepository({
        client: small.table.doc,
        tableName: small.table.tableName,
        watchShards: SHARDS,
      });
      for (const occurrence of seeded) await smallOccurrences.create(occurrence);

      for (const dryRun of [false, true]) {
        const answer = await small.call('POST', '/v1/replays', { body: { ...MAY, dryRun } });
        expect(answer.status, JSON.stringify(answer.body)).toBe(422);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({
          type: 'https://occasions.dev/problems/unprocessable',
          status: 422,
        });
        expect(answer.body.detail).toMatch(/more than 149 notifications.*Narrow the window/);
      }
      await small.deps.replays?.settled();
      expect((await small.call('GET', '/v1/replays')).body.items).toEqual([]);
      const untouched = await smallOccurrences.get(seeded[0]?.occurrenceId ?? '');
      expect(untouched).toMatchObject({ status: 'failed', version: seeded[0]?.version });
      // Narrowed to the cap, it goes.
      const narrowed = await small.call('POST', '/v1/replays', {
        body: { from: MAY.from, to: new Date(may + 40 * HOUR).toISOString() },
      });
      expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(202);
      await small.deps.replays?.settled();
      expect((await small.call('GET', `/v1/replays/${String(narrowed.body.id)}`)).body).toMatchObject({
        status: 'done',
        counts: { matched: 120, requeued: 120 },
      });
    } finally {
      await small.deps.replays?.settled();
      await small.stop();
    }
  });

  it('given a job whose runner runs short of time after a page, when it is looked at and then resumed, then GET shows the progress and the resumed run finishes it, each notification queued once', async () => {
    const launched: string[] = [];
    const replays = composeReplay({
      dynamo: api.table.doc,
      sqs: api.sqs,
      tableName: api.table.tableName,
      dueShards: SHARDS,
      queueUrl: api.queueUrl,
      clock,
      launcher: {
        launch: (jobId) => {
          launched.push(jobId);
          return Promise.resolve();
        },
      },
    });
    const { job, created } = await replays.start({ from: Date.parse(MAY.from), to: Date.parse(MAY.to) });
    expect(created).toBe(true);
    expect(launched).toEqual([job.id]);
    expect((await api.call('GET', `/v1/replays/${job.id}`)).body).toMatchObject({
      status: 'pending',
      total: 150,
    });

    clock.advance(1_000);
    expect(await replays.run(job.id, { shouldStop: () => true })).toMatchObject({ kind: 'continue' });
    const midway = await api.call('GET', `/v1/replays/${job.id}`);
    expect(midway.body).toMatchObject({
      status: 'running',
      total: 150,
      counts: { matched: 100, requeued: 100 },
      finishedAt: null,
    });

    // Two runners at once (a continuation beside a Lambda retry): one finishes, none doubles.
    clock.advance(1_000);
    const outcomes = await Promise.all([replays.run(job.id), replays.run(job.id)]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toContain('done');
    const done = await api.call('GET', `/v1/replays/${job.id}`);
    expect(done.body).toMatchObject({ status: 'done', counts: { matched: 150, requeued: 150 } });
    for (const occurrence of seeded) {
      const current = await occurrences.get(occurrence.occurrenceId);
      expect(current).toMatchObject({
        status: 'queued',
        replayedBy: job.id,
        version: occurrence.version + 1,
      });
    }
  });
});
