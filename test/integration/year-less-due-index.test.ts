import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoDueIndex, DynamoWatermarkStore } from '#adapters/dynamodb/dynamo-scheduler-state';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { SLOT_INDEX } from '#adapters/dynamodb/table-layout';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { cancel } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import type { StoredUser } from '#domain/user';
import { dynamoClients } from '#local/embedded-dynamodb';
import { startEventBridgeRecorder } from '#local/eventbridge-recorder';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import {
  ScheduleDueOccurrences,
  type PassResult,
  type SchedulerSettings,
} from '#use-cases/schedule-due.use-case';
import type { NotificationMessage } from '#ports/notification-queue';
import { startTestTable, type TestTable } from '../support/dynamodb';
import { claimPlans, takeMessages } from '../support/plans';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const SHARDS = 8;

/**
 * The year-less due index (ADR 0009) against DynamoDB (dynalite) and SQS: an item stays on its
 * slot after it is handled, next year's occurrence is found there without any write, a shift of
 * the UTC instant re-keys it once, and a pass re-reading its margin costs no request per entry.
 */
describe('the year-less due index: a scheduler pass over the years', () => {
  let table: TestTable;
  let clock: ManualClock;
  let sqsServer: SqsServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let recorder: Awaited<ReturnType<typeof startEventBridgeRecorder>>;
  let eventBridge: EventBridgeClient;
  let manageUsers: ManageUsers;
  /** The scheduler's own DynamoDB clients, so its requests can be counted apart from the test's. */
  let counted: { raw: DynamoDBClient; doc: DynamoDBDocumentClient };
  const requests = new Map<string, number>();

  beforeEach(async () => {
    table = await startTestTable();
    clock = new ManualClock(Date.parse('2027-01-15T00:00:00Z'));
    sqsServer = await startSqsServer({ clock });
    sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications' }))).QueueUrl ?? '';
    recorder = await startEventBridgeRecorder({ clock });
    eventBridge = new EventBridgeClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials });
    manageUsers = new ManageUsers({ users: users(table.doc), clock });
    counted = dynamoClients(table.endpoint);
    requests.clear();
    taken = [];
    counted.raw.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unnamed';
        requests.set(name, (requests.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
  });

  afterEach(async () => {
    counted.raw.destroy();
    sqs.destroy();
    eventBridge.destroy();
    await sqsServer.stop();
    await recorder.stop();
    await table.stop();
  });

  const users = (doc: DynamoDBDocumentClient) =>
    new DynamoUserRepository({ client: doc, tableName: table.tableName, dueShards: SHARDS });
  const occurrences = (doc: DynamoDBDocumentClient = table.doc) =>
    new DynamoOccurrenceRepository({ client: doc, tableName: table.tableName, watchShards: SHARDS });
  const scheduler = (settings: Partial<SchedulerSettings> = {}, pageSize?: number, shards = SHARDS) =>
    new ScheduleDueOccurrences({
      clock,
      settings,
      dueIndex: new DynamoDueIndex({
        client: counted.doc,
        tableName: table.tableName,
        shards,
        ...(pageSize === undefined ? {} : { pageSize }),
      }),
      watermarks: new DynamoWatermarkStore({ client: counted.doc, tableName: table.tableName }),
      users: users(counted.doc),
      occurrences: occurrences(counted.doc),
      queue: new SqsNotificationQueue({ client: sqs, queueUrl, deadLetterQueueUrl: queueUrl }),
      events: new EventBridgePublisher({ client: eventBridge, eventBusName: 'occasions' }),
    });
  /** Messages taken off the queue so far (see passAt). */
  let taken: NotificationMessage[] = [];
  /**
   * One pass at `instant`, with the requests it made; then its messages are taken off the queue
   * and its plans stored as a worker's first write stores them (ADR 0010), as if a worker had
   * claimed them at once: the passes after it see what they would see in service.
   */
  const passAt = async (instant: string): Promise<PassResult> => {
    clock.set(Date.parse(instant));
    requests.clear();
    const result = await scheduler().run();
    const messages = await takeMessages(sqs, queueUrl);
    taken = [...taken, ...messages];
    await claimPlans(messages, occurrences(), clock.now());
    return result;
  };
  /** Every message the passes sent: those taken off the queue and those still on it. */
  const queuedCount = async (): Promise<number> => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return taken.length + Number(Attributes?.ApproximateNumberOfMessages);
  };
  const stored = async (user: StoredUser) => (await users(table.doc).get(user.id))!;
  const occurrenceOf = (user: StoredUser, localDate: string) =>
    occurrences().get(occurrenceId(user.id, 'birthday', localDate));
  const create = (birthday: string, timezone: string, name = 'Ada') =>
    manageUsers.create({ firstName: name, lastName: 'Test', birthday, timezone }, `req-${name}`);

  it('given a birthday handled this year, when the clock reaches next year, then it is sent again once, and nothing wrote the user in between', async () => {
    const user = await create('1990-04-02', 'UTC');
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    // Handled: next year's birthday falls on the same slot, so the user is not written.
    expect(requests.get('UpdateItemCommand')).toBeUndefined();
    expect(await stored(user)).toEqual(user);

    expect(await passAt('2027-04-02T09:01:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    // A year later (the scheduler down all the while: one pass reads the whole year).
    expect(await passAt('2028-04-02T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1, skipped: 0 });
    expect(await passAt('2028-04-02T09:01:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    expect(await occurrenceOf(user, '2027-04-02')).toMatchObject({
      scheduledFor: Date.parse('2027-04-02T09:00:00Z'),
    });
    expect(await occurrenceOf(user, '2028-04-02')).toMatchObject({
      scheduledFor: Date.parse('2028-04-02T09:00:00Z'),
    });
    expect(await stored(user)).toEqual(user);
    // The API shows the next one all the same.
    expect((await manageUsers.get(user.id)).schedule).toEqual({
      localDate: '2029-04-02',
      dueAt: Date.parse('2029-04-02T09:00:00Z'),
    });
  });

  it('given a birthday whose UTC instant differs between two years (DST rules), then it is re-keyed exactly once and delivered on time both years', async () => {
    clock.set(Date.parse('2026-03-01T00:00:00Z'));
    // 10 March 09:00 in New York: EDT (13:00Z) in 2026 (DST from 8 March), EST (14:00Z) in 2027
    // and 2028 (DST from 14 and 12 March).
    const user = await create('1990-03-10', 'America/New_York');
    expect(user.schedule?.dueAt).toBe(Date.parse('2026-03-10T13:00:00Z'));

    expect(await passAt('2026-03-10T13:00:00Z')).toMatchObject({ enqueued: 1 });
    expect(requests.get('UpdateItemCommand')).toBe(1); // the re-key to 2027's slot
    expect((await stored(user)).schedule).toEqual({
      localDate: '2027-03-10',
      dueAt: Date.parse('2027-03-10T14:00:00Z'),
    });

    expect(await passAt('2027-03-10T13:00:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    expect(await passAt('2027-03-10T14:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    expect(requests.get('UpdateItemCommand')).toBeUndefined(); // 2028 is on the same slot
    expect(await passAt('2028-03-10T14:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    expect((await stored(user)).version).toBe(2);
    expect(await occurrenceOf(user, '2027-03-10')).toMatchObject({
      scheduledFor: Date.parse('2027-03-10T14:00:00Z'),
    });
    expect(await occurrenceOf(user, '2028-03-10')).toMatchObject({
      scheduledFor: Date.parse('2028-03-10T14:00:00Z'),
    });
  });

  it('given a 29 February birthday, then it is sent on 28 February in common years and 29 February in leap years, once each', async () => {
    const user = await create('2000-02-29', 'UTC');
    expect(user.schedule?.localDate).toBe('2027-02-28');
    expect(await passAt('2027-02-28T09:00:00Z')).toMatchObject({ enqueued: 1 });
    expect(await passAt('2028-02-28T09:00:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    expect(await passAt('2028-02-29T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    expect(await passAt('2029-02-28T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    expect(requests.get('UpdateItemCommand')).toBeUndefined(); // 2030 is on 2029's slot
    expect(await passAt('2030-02-28T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    for (const localDate of ['2027-02-28', '2028-02-29', '2029-02-28', '2030-02-28']) {
      // Planned (the user was written long before), and stored by the claim of passAt's worker.
      expect(await occurrenceOf(user, localDate)).toMatchObject({ localDate, status: 'sending' });
    }
    // Re-keyed into and out of the leap year only.
    expect((await stored(user)).version).toBe(3);
  });

  it('given the scheduler down for more than two years, then each year is handled once: the late ones skipped, this year sent', async () => {
    const user = await create('1990-04-02', 'UTC');
    await passAt('2027-04-01T12:00:00Z');
    const back = await passAt('2029-04-02T09:30:00Z');
    expect(back).toMatchObject({ due: 3, enqueued: 1, skipped: 2, pending: 0 });
    expect(back.watermark).toBe(clock.now());
    expect(await occurrenceOf(user, '2027-04-02')).toMatchObject({ status: 'skipped' });
    expect(await occurrenceOf(user, '2028-04-02')).toMatchObject({ status: 'skipped' });
    expect(await occurrenceOf(user, '2029-04-02')).toMatchObject({ status: 'sending' });
    expect(requests.get('UpdateItemCommand')).toBeUndefined();
    expect(await passAt('2029-04-02T09:31:00Z')).toMatchObject({ due: 0, enqueued: 0, skipped: 0 });
    expect(recorder.events().map((event) => event.detailType)).toEqual([
      'NotificationSkipped',
      'NotificationSkipped',
    ]);
  });

  it('given entries handled by the previous pass, when the next pass re-reads its margin, then it makes no request for them', async () => {
    for (const name of ['A', 'B', 'C', 'D', 'E']) await create('1990-04-02', 'UTC', name);
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 5, enqueued: 5 });
    // The watermark only: the occurrences go out as plans, unwritten (ADR 0010).
    expect(requests.get('PutItemCommand')).toBe(1);

    expect(await passAt('2027-04-02T09:01:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    // The watermark read and written, the index queried: no create, no occurrence read.
    expect(requests.get('GetItemCommand')).toBe(1);
    expect(requests.get('PutItemCommand')).toBe(1);
    expect(requests.get('UpdateItemCommand')).toBeUndefined();
    expect(requests.get('QueryCommand')).toBeGreaterThan(0);
  });

  it('given entries handled half an hour ago, then the passes in between re-read two minutes of the index and every fifteenth the whole hour, at no request per entry', async () => {
    const returned: number[] = [];
    counted.raw.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'QueryCommand') {
          const input = args.input as { IndexName?: string };
          const output = result.output as { Count?: number };
          if (input.IndexName === SLOT_INDEX.name) returned.push(output.Count ?? 0);
        }
        return result;
      },
      { step: 'initialize', name: 'slotEntriesReturned' },
    );
    const slotEntriesOf = async (instant: string): Promise<number> => {
      returned.length = 0;
      const pass = await passAt(instant);
      expect(pass).toMatchObject({ due: 0, enqueued: 0 });
      // No read or create for a re-read entry; the puts are the watermark and, at 09:15, the
      // watch index re-sending the three still queued (no worker runs here).
      expect(requests.get('BatchGetItemCommand')).toBeUndefined();
      expect(requests.get('PutItemCommand')).toBe(1 + pass.rescued);
      return returned.reduce((sum, count) => sum + count, 0);
    };
    for (const name of ['A', 'B', 'C']) await create('1990-04-02', 'UTC', name);
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 3, enqueued: 3 }); // a full margin

    expect(await slotEntriesOf('2027-04-02T09:01:00Z')).toBe(3); // from 08:58: still in view
    expect(await slotEntriesOf('2027-04-02T09:04:00Z')).toBe(3); // from 08:59
    expect(await slotEntriesOf('2027-04-02T09:08:00Z')).toBe(0); // from 09:02
    expect(await slotEntriesOf('2027-04-02T09:14:00Z')).toBe(0);
    // Fifteen minutes after the last full re-read: 08:14-09:15, the entries come back, skipped.
    expect(await slotEntriesOf('2027-04-02T09:15:00Z')).toBe(3);
    expect(await slotEntriesOf('2027-04-02T09:16:00Z')).toBe(0);
  });

  it('given DUE_SHARDS lowered from 8 to 2, then next year the users on shards 2-7 are still found and sent', async () => {
    const names = Array.from({ length: 16 }, (_, i) => `S${i}`);
    for (const name of names) await create('1990-04-02', 'UTC', name);
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 16, enqueued: 16 });

    clock.set(Date.parse('2028-04-02T09:00:00Z'));
    const twoShards = await scheduler({}, undefined, 2).run();

    expect(twoShards).toMatchObject({ due: 16, enqueued: 16 });
    expect(await queuedCount()).toBe(32);
  });

  it('given a watermark of the older layout held at an entry still waiting, then the first pass handles that entry', async () => {
    const user = await create('1990-04-02', 'UTC');
    // ADR 0001's passes held the watermark *at* the first entry they left (a budget stop).
    const heldAt = Date.parse('2027-04-02T09:00:00Z');
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: 'SCHEDULER', sk: 'WATERMARK', entity: 'watermark', watermark: heldAt, updatedAt: heldAt },
      }),
    );

    expect(await passAt('2027-04-02T09:05:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    // Due before the pass the watermark stands for: perhaps handled, so created, not planned.
    expect(await occurrenceOf(user, '2027-04-02')).toMatchObject({ status: 'queued' });
  });

  it('given an index copy that shows up ten minutes late, then the next full re-read finds it and it is sent once', async () => {
    const user = await create('1990-04-02', 'UTC');
    // The item is written at 08:59 but, as a late index copy would, is absent from the index
    // until 09:10: its slot keys are put back only then (as the API wrote them).
    clock.set(Date.parse('2027-04-02T08:59:00Z'));
    await manageUsers.patch(user.id, { firstName: 'Late' }, 'req-late');
    const written = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `USER#${user.id}`, sk: 'PROFILE' } }),
    );
    const { slotPk, slotAt } = written.Item as { slotPk: string; slotAt: number };
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `USER#${user.id}`, sk: 'PROFILE' },
        UpdateExpression: 'REMOVE slotPk, slotAt',
      }),
    );
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    expect(await passAt('2027-04-02T09:05:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    clock.set(Date.parse('2027-04-02T09:10:00Z'));
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: `USER#${user.id}`, sk: 'PROFILE' },
        UpdateExpression: 'SET slotPk = :pk, slotAt = :at',
        ExpressionAttributeValues: { ':pk': slotPk, ':at': slotAt },
      }),
    );
    expect(await passAt('2027-04-02T09:11:00Z')).toMatchObject({ due: 0, enqueued: 0 }); // quick: 09:09-
    expect(await passAt('2027-04-02T09:15:00Z')).toMatchObject({ due: 1, enqueued: 1 }); // full: 08:14-
    expect(await passAt('2027-04-02T09:20:00Z')).toMatchObject({ due: 0, enqueued: 0 });
    expect(await queuedCount()).toBe(1);
    expect(await occurrenceOf(user, '2027-04-02')).toMatchObject({ status: 'queued' });
  });

  it('given an edit just before the due instant, when the next pass re-reads it, then it is handled as usual and still sent once', async () => {
    const user = await create('1990-04-02', 'UTC');
    clock.set(Date.parse('2027-04-02T08:59:00Z'));
    await manageUsers.patch(user.id, { firstName: 'Augusta' }, 'req-edit');
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
    // Written within the margin: re-read and looked at (the conditional create says "handled").
    expect(await passAt('2027-04-02T09:02:00Z')).toMatchObject({ due: 1, enqueued: 0, pending: 0 });
    // One batched read of the occurrence (it may have been handled: due before the last pass).
    expect(requests.get('BatchGetItemCommand')).toBe(1);
    expect(requests.get('PutItemCommand')).toBe(1); // the watermark
    // Once the edit is older than the margin behind the stored watermark, it costs nothing again.
    // (No worker here: the watch index finds the occurrence still queued and sends it again.)
    expect(await passAt('2027-04-02T10:00:00Z')).toMatchObject({ due: 1, enqueued: 0, rescued: 1 });
    expect(await passAt('2027-04-02T10:01:00Z')).toMatchObject({ due: 0, enqueued: 0, rescued: 0 });
    expect(requests.get('PutItemCommand')).toBe(1);
    expect(await queuedCount()).toBe(2);
  });

  it('given an occurrence the worker cancelled (an opt-out), when the passes of the next hour re-read its recently written entry, then none starts it afresh', async () => {
    clock.set(Date.parse('2027-04-02T08:50:00Z'));
    const user = await create('1990-04-02', 'UTC'); // written within the margin of its instant
    expect(await passAt('2027-04-02T09:00:00Z')).toMatchObject({ enqueued: 1 });
    clock.set(Date.parse('2027-04-02T09:00:30Z'));
    const queued = (await occurrenceOf(user, '2027-04-02'))!;
    expect(await occurrences().save(cancel(queued, clock.now(), 'user opted out'))).toBe(true);
    for (const instant of ['2027-04-02T09:02:00Z', '2027-04-02T09:30:00Z']) {
      expect(await passAt(instant)).toMatchObject({ due: 1, enqueued: 0 });
    }
    expect(await occurrenceOf(user, '2027-04-02')).toMatchObject({
      status: 'cancelled',
      version: queued.version + 1,
    });
    expect(await queuedCount()).toBe(1);
  });

  it('given a pass stopped by its budget amid many entries due at one instant, then the next passes neither re-create nor re-send the ones it handled', async () => {
    const names = Array.from({ length: 24 }, (_, index) => `U${index}`);
    for (const name of names) await create('1990-04-02', 'UTC', name);
    // Each pass's plans are claimed before the next pass, as workers do within the minute.
    const run = async () => {
      const result = await scheduler({ maxItemsPerPass: 7 }, 2).run();
      const messages = await takeMessages(sqs, queueUrl);
      taken = [...taken, ...messages];
      await claimPlans(messages, occurrences(), clock.now());
      return result;
    };
    clock.set(Date.parse('2027-04-02T09:00:00Z'));
    requests.clear();
    let enqueued = (await run()).enqueued;
    expect(enqueued).toBeLessThan(24);
    let refusedOrRepeated = 0;
    for (let pass = 0; pass < 20 && enqueued < 24; pass += 1) {
      clock.advance(61_000);
      requests.clear();
      const result = await run();
      enqueued += result.enqueued;
      // The rest was due before this pass's predecessor ran, so it is created, not planned
      // (no copies pile up): every PutItem is a new occurrence or the watermark, none refused.
      refusedOrRepeated += (requests.get('PutItemCommand') ?? 0) - result.enqueued - 1;
    }
    expect(refusedOrRepeated).toBe(0);
    expect(enqueued).toBe(24);
    expect(new Set(taken.map((message) => message.occurrenceId)).size).toBe(24);
    expect(await queuedCount()).toBe(24);
  });

  it('given three passes at once on next year’s instant, then the claims of their plans store every occurrence once', async () => {
    for (const name of ['A', 'B', 'C', 'D', 'E', 'F']) await create('1990-04-02', 'Europe/Paris', name);
    expect(await passAt('2027-04-02T07:00:00Z')).toMatchObject({ enqueued: 6 });
    clock.set(Date.parse('2028-04-02T07:00:00Z'));
    const results = await Promise.all([scheduler().run(), scheduler().run(), scheduler().run()]);
    // Passes side by side plan the same entries (nothing written tells them apart); the
    // worker's conditional create keeps one occurrence each, and drops the other copies.
    const enqueued = results.reduce((sum, result) => sum + result.enqueued, 0);
    expect(enqueued).toBeGreaterThanOrEqual(6);
    const messages = await takeMessages(sqs, queueUrl);
    expect(messages).toHaveLength(enqueued);
    const stored = await claimPlans(messages, occurrences(), clock.now());
    expect(stored.map((occurrence) => occurrence.localDate)).toEqual(Array(6).fill('2028-04-02'));
  });

  it('given a user created after this year’s birthday was due, then this year’s slot sends nothing and next year’s does', async () => {
    clock.set(Date.parse('2027-04-02T09:30:00Z'));
    const user = await create('1990-04-02', 'UTC');
    expect(user.schedule?.localDate).toBe('2028-04-02');
    expect(await passAt('2027-04-02T09:31:00Z')).toMatchObject({ due: 0, enqueued: 0, pending: 0 });
    expect(await occurrenceOf(user, '2027-04-02')).toBeUndefined();
    expect(await passAt('2028-04-02T09:00:00Z')).toMatchObject({ due: 1, enqueued: 1 });
  });
});
