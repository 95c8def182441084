import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoDueIndex, DynamoWatermarkStore } from '#adapters/dynamodb/dynamo-scheduler-state';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { markDelivered, scheduleRetry, WATCH_GRACE_MS } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import { startEventBridgeRecorder } from '#local/eventbridge-recorder';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import { ScheduleDueOccurrences, type SchedulerSettings } from '#use-cases/schedule-due.use-case';
import { startTestTable, type TestTable } from '../support/dynamodb';
import { claimPlans, takeMessages } from '../support/plans';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const HOUR = 3_600_000;

describe('a scheduler pass against DynamoDB and SQS', () => {
  let table: TestTable;
  let clock: ManualClock;
  let sqsServer: SqsServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let recorder: Awaited<ReturnType<typeof startEventBridgeRecorder>>;
  let eventBridge: EventBridgeClient;
  let manageUsers: ManageUsers;

  beforeEach(async () => {
    table = await startTestTable();
    clock = new ManualClock(Date.parse('2027-04-01T00:00:00Z'));
    sqsServer = await startSqsServer({ clock });
    sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications' }))).QueueUrl ?? '';
    recorder = await startEventBridgeRecorder({ clock });
    eventBridge = new EventBridgeClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials });
    manageUsers = new ManageUsers({ users: users(), clock });
  });

  afterEach(async () => {
    sqs.destroy();
    eventBridge.destroy();
    await sqsServer.stop();
    await recorder.stop();
    await table.stop();
  });

  const users = () =>
    new DynamoUserRepository({ client: table.doc, tableName: table.tableName, dueShards: 8 });
  const occurrences = () =>
    new DynamoOccurrenceRepository({ client: table.doc, tableName: table.tableName, watchShards: 8 });
  const scheduler = (settings: Partial<SchedulerSettings> = {}, client: SQSClient = sqs) =>
    new ScheduleDueOccurrences({
      clock,
      dueIndex: new DynamoDueIndex({
        client: table.doc,
        tableName: table.tableName,
        shards: 8,
        pageSize: 25,
      }),
      watermarks: new DynamoWatermarkStore({ client: table.doc, tableName: table.tableName }),
      users: users(),
      occurrences: occurrences(),
      queue: new SqsNotificationQueue({ client, queueUrl, deadLetterQueueUrl: queueUrl }),
      events: new EventBridgePublisher({ client: eventBridge, eventBusName: 'occasions' }),
      settings,
    });

  const queued = async (): Promise<number> => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  };

  /** One pass whose SQS client reaches nothing (one attempt per request). */
  const passWithSqsDown = async () => {
    const deadSqs = new SQSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    try {
      return await scheduler({}, deadSqs).run();
    } finally {
      deadSqs.destroy();
    }
  };

  const createUsers = async (count: number, birthday = '1990-04-02', timezone = 'UTC') => {
    const created = [];
    for (let index = 0; index < count; index += 1) {
      created.push(
        await manageUsers.create(
          { firstName: `User${index}`, lastName: 'Test', birthday, timezone },
          `req-${index}`,
        ),
      );
    }
    return created;
  };

  it('given due users spread over shards, when a pass runs, then each is enqueued once and the next pass finds nothing', async () => {
    await createUsers(60);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    const first = await scheduler().run();
    expect(first).toMatchObject({ due: 60, enqueued: 60, pending: 0, skipped: 0 });
    expect(first.watermark).toBe(clock.now());
    expect(await queued()).toBe(60);

    clock.advance(60_000);
    const second = await scheduler().run();
    expect(second).toMatchObject({ due: 0, enqueued: 0 });
    expect(await queued()).toBe(60);
  });

  it('given the users are not due yet, when a pass runs, then nothing is enqueued and the watermark moves to now', async () => {
    await createUsers(3);
    clock.set(Date.parse('2027-04-02T08:59:59Z'));
    expect(await scheduler().run()).toMatchObject({ due: 0, enqueued: 0, watermark: clock.now() });
  });

  it('given three passes at once over users written within the hour, then every due user is enqueued exactly once', async () => {
    clock.set(Date.parse('2027-04-02T08:30:00Z'));
    await createUsers(40);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    const results = await Promise.all([scheduler().run(), scheduler().run(), scheduler().run()]);
    expect(results.reduce((sum, result) => sum + result.enqueued, 0)).toBe(40);
    expect(await queued()).toBe(40);
  });

  it('given three passes at once over users written long ago, then each plans every due user unwritten, and the claims create each occurrence once', async () => {
    const created = await createUsers(40);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    const results = await Promise.all([scheduler().run(), scheduler().run(), scheduler().run()]);
    const enqueued = results.reduce((sum, result) => sum + result.enqueued, 0);
    expect(enqueued).toBeGreaterThanOrEqual(40);
    expect(enqueued).toBeLessThanOrEqual(120);
    const messages = await takeMessages(sqs, queueUrl);
    expect(messages).toHaveLength(enqueued);
    expect(messages.every((message) => message.plan !== undefined)).toBe(true);
    // Nothing was written per user: the plans are the only record until a worker claims them.
    for (const user of created) {
      expect(await occurrences().get(occurrenceId(user.id, 'birthday', '2027-04-02'))).toBeUndefined();
    }
    const stored = await claimPlans(messages, occurrences(), clock.now());
    expect(new Set(stored.map((occurrence) => occurrence.occurrenceId)).size).toBe(40);
    expect(stored).toHaveLength(40);
  });

  it('given users written long ago, when a pass plans them, then the plan says what the occurrence is of and the next pass reads nothing again', async () => {
    const [user] = await createUsers(1, '1990-04-02', 'Europe/Paris'); // 09:00 CEST = 07:00Z
    clock.set(Date.parse('2027-04-02T07:00:00Z'));
    expect(await scheduler().run()).toMatchObject({ due: 1, enqueued: 1 });
    const [message] = await takeMessages(sqs, queueUrl);
    expect(message).toEqual({
      occurrenceId: occurrenceId(user!.id, 'birthday', '2027-04-02'),
      userId: user!.id,
      correlationId: 'req-0',
      plan: {
        eventKey: 'birthday',
        localDate: '2027-04-02',
        timezone: 'Europe/Paris',
        scheduledFor: Date.parse('2027-04-02T07:00:00Z'),
        fingerprint: expect.any(String) as string,
        plannedAt: clock.now(),
      },
    });
    clock.advance(60_000);
    expect(await scheduler().run()).toMatchObject({ due: 0, enqueued: 0 });
    clock.advance(20 * 60_000); // a full re-read of the safety hour
    expect(await scheduler().run()).toMatchObject({ due: 0, enqueued: 0 });
    expect(await queued()).toBe(0);
  });

  it('given SQS is unreachable, when a pass runs over a user written long ago, then nothing is written and a later pass sends it once', async () => {
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    const failed = await passWithSqsDown();
    expect(failed).toMatchObject({ due: 1, enqueued: 0, pending: 1 });
    expect(failed.watermark).toBeLessThan(Date.parse('2027-04-02T09:00:00Z'));
    const id = occurrenceId(user!.id, 'birthday', '2027-04-02');
    expect(await occurrences().get(id)).toBeUndefined();

    clock.advance(60_000);
    expect(await scheduler().run()).toMatchObject({ enqueued: 1, pending: 0 });
    clock.advance(60_000);
    expect(await scheduler().run()).toMatchObject({ enqueued: 0, pending: 0 });
    const messages = await takeMessages(sqs, queueUrl);
    expect(messages.map((message) => message.occurrenceId)).toEqual([id]);
  });

  it('given SQS is unreachable, when a pass runs, then nothing moves on, and a later pass sends each once', async () => {
    clock.set(Date.parse('2027-04-02T08:30:00Z')); // written within the hour: created, not planned
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    const failed = await passWithSqsDown();
    expect(failed).toMatchObject({ due: 1, enqueued: 0, pending: 1 });
    expect(failed.watermark).toBeLessThanOrEqual(Date.parse('2027-04-02T09:00:00Z'));
    expect((await users().get(user!.id))?.schedule?.localDate).toBe('2027-04-02');

    // The failed pass brought the occurrence's watch instant forward to the end of the claim
    // lease. Within the lease it is left alone; after it, a pass counts the entry handled
    // (entries stay in the year-less index, ADR 0009) and the watch index sends it, once.
    const occurrence = await occurrences().get(occurrenceId(user!.id, 'birthday', '2027-04-02'));
    expect(occurrence).toMatchObject({ status: 'queued', watchAt: Date.parse('2027-04-02T09:01:00Z') });
    clock.advance(30_000);
    expect(await scheduler().run()).toMatchObject({ enqueued: 0, pending: 1, rescued: 0 });
    clock.advance(60_000);
    expect(await scheduler().run()).toMatchObject({ enqueued: 0, pending: 0, rescued: 1 });
    expect(await queued()).toBe(1);
    clock.advance(WATCH_GRACE_MS);
    expect(await scheduler().run()).toMatchObject({ enqueued: 0, rescued: 0 });
    expect(await queued()).toBe(1);
    // Nothing rewrote the user: next year's birthday falls on the same slot.
    expect(await users().get(user!.id)).toMatchObject({ version: 1, schedule: { localDate: '2027-04-02' } });
  });

  it('given a day of downtime, when the scheduler comes back, then the missed users are enqueued, not skipped', async () => {
    await createUsers(5);
    clock.set(Date.parse('2027-04-01T12:00:00Z'));
    await scheduler().run();
    clock.set(Date.parse('2027-04-03T08:00:00Z')); // 23 hours late
    expect(await scheduler().run()).toMatchObject({ due: 5, enqueued: 5, skipped: 0 });
  });

  it('given downtime beyond the maximum lateness, then the occurrence is skipped, kept and announced', async () => {
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-01T12:00:00Z'));
    await scheduler().run();
    clock.set(Date.parse('2027-04-05T12:00:00Z'));
    expect(await scheduler({ maxLatenessMs: 48 * HOUR }).run()).toMatchObject({
      due: 1,
      enqueued: 0,
      skipped: 1,
    });
    expect(await queued()).toBe(0);
    const occurrence = await occurrences().get(occurrenceId(user!.id, 'birthday', '2027-04-02'));
    expect(occurrence?.status).toBe('skipped');
    expect(recorder.events().map((event) => event.detailType)).toEqual(['NotificationSkipped']);
    // Handled without a write: the anchor stays, next year's is found on the same slot.
    expect(await users().get(user!.id)).toMatchObject({ version: 1, schedule: { localDate: '2027-04-02' } });
  });

  it('given more due users than one pass may take, then the watermark stays behind until all are enqueued', async () => {
    await createUsers(30);
    clock.set(Date.parse('2027-04-02T09:30:00Z'));
    const first = await scheduler({ maxItemsPerPass: 10 }).run();
    expect(first.enqueued).toBeLessThanOrEqual(10);
    expect(first.watermark).toBeLessThan(clock.now());
    let total = first.enqueued;
    for (let pass = 0; pass < 10 && total < 30; pass += 1) {
      clock.advance(60_000);
      total += (await scheduler({ maxItemsPerPass: 10 }).run()).enqueued;
    }
    expect(total).toBe(30);
    expect(await queued()).toBe(30);
  });

  it('given an occurrence waiting for a retry, when the zone moves west and its new 09:00 comes, then it is sent afresh', async () => {
    clock.set(Date.parse('2027-04-02T12:30:00Z')); // written within the hour: created, not planned
    const [user] = await createUsers(1, '1990-04-02', 'America/New_York'); // due 2027-04-02T13:00Z
    clock.set(Date.parse('2027-04-02T13:00:00Z'));
    expect(await scheduler().run()).toMatchObject({ enqueued: 1 });
    const id = occurrenceId(user!.id, 'birthday', '2027-04-02');
    const queuedOccurrence = (await occurrences().get(id))!;
    // The first attempt failed; the next one is hours away, so no worker looks before the pass.
    expect(
      await occurrences().save(
        scheduleRetry(queuedOccurrence, clock.now(), clock.now() + 10 * HOUR, 'HTTP 503'),
      ),
    ).toBe(true);
    // Moved within the hour before its new instant: the pass finds the stored one and restarts
    // it (an edit longer ago goes out as a plan, and the worker restarts it: deliver-occurrence).
    clock.set(Date.parse('2027-04-02T18:30:00Z'));
    await manageUsers.patch(user!.id, { timezone: 'Pacific/Honolulu' }, 'req-move'); // 09:00 HST = 19:00Z

    clock.set(Date.parse('2027-04-02T19:00:00Z'));
    expect(await scheduler().run()).toMatchObject({ due: 1, enqueued: 1 });
    expect(await occurrences().get(id)).toMatchObject({
      status: 'queued',
      timezone: 'Pacific/Honolulu',
      scheduledFor: Date.parse('2027-04-02T19:00:00Z'),
      attempts: 0,
    });
    // The edit wrote the anchor (2027-04-02, 19:00Z); handling it wrote nothing after.
    expect((await users().get(user!.id))?.schedule).toEqual({
      localDate: '2027-04-02',
      dueAt: Date.parse('2027-04-02T19:00:00Z'),
    });
  });

  it('given an occurrence whose message was lost, when its watch instant passes, then the pass sends it again once', async () => {
    clock.set(Date.parse('2027-04-02T08:30:00Z')); // written within the hour: created, not planned
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    expect(await scheduler().run()).toMatchObject({ enqueued: 1, rescued: 0 });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl })); // the message is gone
    expect(await queued()).toBe(0);

    clock.advance(14 * 60_000);
    expect(await scheduler().run()).toMatchObject({ rescued: 0 });
    clock.advance(2 * 60_000); // past the 15-minute grace
    expect(await scheduler().run()).toMatchObject({ enqueued: 0, rescued: 1 });
    expect(await queued()).toBe(1);
    const occurrence = await occurrences().get(occurrenceId(user!.id, 'birthday', '2027-04-02'));
    // Rescued once: the next look backs off to twice the grace.
    expect(occurrence).toMatchObject({ rescues: 1, watchAt: clock.now() + 2 * WATCH_GRACE_MS });
    clock.advance(60_000);
    expect(await scheduler().run()).toMatchObject({ rescued: 0 });
  });

  it('given a delivered occurrence, then it leaves the watch index and is never sent again', async () => {
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    await scheduler().run();
    const id = occurrenceId(user!.id, 'birthday', '2027-04-02');
    const [claimed] = await claimPlans(await takeMessages(sqs, queueUrl), occurrences(), clock.now());
    // The plan's claim is its first write, unwatched: its message stays on the queue until done.
    expect(claimed).toMatchObject({ occurrenceId: id, status: 'sending', version: 1 });
    expect((await occurrences().get(id))?.watchAt).toBeUndefined();
    expect(await occurrences().save(markDelivered(claimed!, clock.now()))).toBe(true);
    clock.advance(3 * HOUR);
    expect(await scheduler().run()).toMatchObject({ rescued: 0 });
    expect((await occurrences().get(id))?.watchAt).toBeUndefined();
  });

  it('given a user rescheduled before the due instant, then the pass leaves it for its new date', async () => {
    const [user] = await createUsers(1);
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    await manageUsers.patch(user!.id, { birthday: '1990-05-02' }, 'req-edit');
    await scheduler().run();
    expect((await users().get(user!.id))?.schedule?.localDate).toBe('2027-05-02');
  });
});
