import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSEvent } from 'aws-lambda';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { parseNotificationMessage } from '#adapters/sqs/sqs-notification-queue';
import { verifyWebhook } from '#adapters/webhook/signature';
import { ManualClock } from '#commons/clock';
import { cancel, plannedOccurrence, replay, type Occurrence } from '#domain/occurrence';
import { CANCELLED_BY_ADMIN } from '#domain/notification-command';
import { occurrenceId } from '#domain/occurrence-id';
import type { RetryPolicy } from '#domain/retry-policy';
import type { StoredUser } from '#domain/user';
import { buildScheduler, buildWorker, type Worker } from '#handlers/pipeline';
import { createWorkerHandler } from '#handlers/worker.handler';
import { startEventBridgeRecorder, type EventBridgeRecorder } from '#local/eventbridge-recorder';
import { lambdaContext } from '#local/lambda-context';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';
import type { DomainEvent } from '#ports/event-publisher';
import { pointerOf, type NotificationMessage } from '#ports/notification-queue';
import {
  endpointKeyOf,
  TryAgainLaterError,
  type DeliveryResult,
} from '#use-cases/deliver-occurrence.use-case';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import { startTestTable, type TestTable } from '../support/dynamodb';
import { claimPlans } from '../support/plans';
import { TestReceiver } from '../support/receiver';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const QUEUE = 'notifications';
const DLQ = 'notifications-dlq';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Users are created two weeks ahead; a 1990-06-15 birthday in UTC is due at 09:00Z on 15 June. */
const START = Date.parse('2027-06-01T00:00:00Z');
const DUE = Date.parse('2027-06-15T09:00:00Z');
const LOCAL_DATE = '2027-06-15';
/** The first step of the default schedule, 5 s, and its ±20 % jitter. */
const FIRST_RETRY_MIN_MS = 4_000;
const FIRST_RETRY_MAX_MS = 6_000;
/** The default circuit options: 5 calls in the window, 50 %, open for 60 s. */
const VOLUME_THRESHOLD = 5;
const RESET_TIMEOUT_MS = 60_000;

/** Enough time for an attempt, as a fresh Lambda invocation has. */
const PLENTY_OF_TIME = 30_000;

interface Received {
  message: NotificationMessage;
  raw: Message;
}

describe('delivering one occurrence against DynamoDB, SQS, EventBridge and a real receiver', () => {
  let table: TestTable;
  let clock: ManualClock;
  let sqsServer: SqsServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let dlqUrl: string;
  let recorder: EventBridgeRecorder;
  let eventBridge: EventBridgeClient;
  let receiver: TestReceiver;
  let manageUsers: ManageUsers;
  let occurrences: DynamoOccurrenceRepository;
  let worker: Worker;

  beforeEach(async () => {
    table = await startTestTable();
    clock = new ManualClock(START);
    sqsServer = await startSqsServer({ clock });
    sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: QUEUE }))).QueueUrl ?? '';
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: DLQ }))).QueueUrl ?? '';
    recorder = await startEventBridgeRecorder({ clock });
    eventBridge = new EventBridgeClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials });
    receiver = await new TestReceiver().start();
    manageUsers = new ManageUsers({
      users: new DynamoUserRepository({ client: table.doc, tableName: table.tableName, dueShards: 8 }),
      clock,
    });
    occurrences = new DynamoOccurrenceRepository({
      client: table.doc,
      tableName: table.tableName,
      watchShards: 8,
    });
    worker = buildWorker({ ...common(), ...workerSettings() });
  });

  afterEach(async () => {
    worker.shutdown();
    sqs.destroy();
    eventBridge.destroy();
    await receiver.stop();
    await sqsServer.stop();
    await recorder.stop();
    await table.stop();
  });

  const common = () => ({
    clients: { dynamo: table.doc, sqs, eventBridge },
    clock,
    tableName: table.tableName,
    dueShards: 8,
    queueUrl,
    eventBusName: 'occasions',
  });

  const workerSettings = () => ({
    deadLetterQueueUrl: dlqUrl,
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    webhookTimeoutMs: 5_000,
    // Most tests here check what is announced; the default (off) has its own test below.
    publishDeliveredEvents: true,
  });

  /** Replaces the worker of this test with one on another retry policy. */
  const rebuildWorker = (retryPolicy: RetryPolicy): void => {
    worker.shutdown();
    worker = buildWorker({ ...common(), ...workerSettings(), retryPolicy });
  };

  const createUser = (
    changes: { firstName?: string; birthday?: string; timezone?: string } = {},
  ): Promise<StoredUser> =>
    manageUsers.create(
      {
        firstName: changes.firstName ?? 'John',
        lastName: 'Doe',
        birthday: changes.birthday ?? '1990-06-15',
        timezone: changes.timezone ?? 'UTC',
      },
      'req-create',
    );

  /**
   * A user written within the hour before DUE: the pass creates its occurrence and sends a
   * pointer (users written long before go out as plans that the worker's claim creates, ADR 0010).
   */
  const createRecentUser = async (changes: Parameters<typeof createUser>[0] = {}): Promise<StoredUser> => {
    const before = clock.now();
    clock.set(DUE - 30 * MINUTE);
    const user = await createUser(changes);
    clock.set(before);
    return user;
  };

  const idOf = (user: StoredUser): string => occurrenceId(user.id, 'birthday', LOCAL_DATE);

  /** Moves the clock to the due instant and runs one scheduler pass, which creates the occurrences. */
  const schedulePassAt = async (at: number, expectedEnqueued: number): Promise<void> => {
    clock.set(at);
    const pass = await buildScheduler({ ...common(), maxLatenessMs: 48 * 60 * MINUTE }).run();
    expect(pass.enqueued).toBe(expectedEnqueued);
  };

  /** Every message visible now on a queue, received with the SDK (and acknowledged unless `keep`). */
  const receiveAll = async (url: string, options: { keep?: boolean } = {}): Promise<Received[]> => {
    const received: Received[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return received;
      for (const raw of Messages) {
        const message = parseNotificationMessage(raw.Body ?? '');
        expect(message, raw.Body).toBeDefined();
        received.push({ message: message!, raw });
        if (!options.keep) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: raw.ReceiptHandle }));
        }
      }
    }
  };

  const receiveOne = async (url: string = queueUrl): Promise<NotificationMessage> => {
    const received = await receiveAll(url);
    expect(received).toHaveLength(1);
    return received[0]!.message;
  };

  const mainQueue = () => sqsServer.stats(QUEUE);
  const deadLetters = () => sqsServer.stats(DLQ);

  /**
   * One message through the use case, as the worker handler runs it; the domain events it emits
   * are published to the EventBridge recorder the way the handler does after the batch.
   */
  const handle = async (
    message: NotificationMessage,
    remainingMs = PLENTY_OF_TIME,
  ): Promise<DeliveryResult> => {
    const emitted: DomainEvent[] = [];
    const result = await worker.deliver.handle(message, {
      remainingTimeMs: () => remainingMs,
      emit: (event) => emitted.push(event),
    });
    if (emitted.length > 0) await worker.publisher.publish(emitted);
    return result;
  };

  const occurrenceOf = async (user: StoredUser): Promise<Occurrence> => {
    const occurrence = await occurrences.get(idOf(user));
    expect(occurrence).toBeDefined();
    return occurrence!;
  };

  /** The sort keys stored under an occurrence's partition (its state and attempt items). */
  const partitionSortKeys = async (id: string): Promise<string[]> => {
    const { Items } = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `OCC#${id}` },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => String(item.sk));
  };
  const eventTypes = (): string[] => recorder.events().map((event) => event.detailType);

  /** A batch of received messages as the SQS event source hands it to the worker Lambda. */
  const sqsEventOf = (received: readonly Received[]): SQSEvent => ({
    Records: received.map(({ raw }) => ({
      messageId: raw.MessageId ?? '',
      receiptHandle: raw.ReceiptHandle ?? '',
      body: raw.Body ?? '',
      attributes: {
        ApproximateReceiveCount: raw.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: raw.Attributes?.SentTimestamp ?? '0',
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: raw.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: raw.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`,
      awsRegion: 'us-east-1',
    })),
  });

  describe('given a receiver answering 2xx', () => {
    it('when the due message is handled, then it is delivered once, logged, announced and verifiably signed', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      expect(message).toMatchObject({ occurrenceId: idOf(user), userId: user.id });

      const result = await handle(message);

      expect(result).toEqual({ kind: 'delivered', latenessMs: 0 });
      expect(await occurrenceOf(user)).toMatchObject({
        status: 'delivered',
        deliveredAt: DUE,
        attempts: 0,
        deferrals: 0,
        attemptSequence: 1,
      });
      const attempts = await occurrences.listAttempts(idOf(user));
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        occurrenceId: idOf(user),
        sequence: 1,
        at: DUE,
        outcome: 'delivered',
        statusCode: 204,
        trigger: 'scheduled',
      });
      expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(attempts[0]!.durationMs)).toBe(true);
      // The first attempt delivered: it is kept on the occurrence, with no item of its own.
      expect(await partitionSortKeys(idOf(user))).toEqual(['STATE']);
      expect((await occurrenceOf(user)).firstAttempt).toMatchObject({ sequence: 1, statusCode: 204 });

      const delivered = recorder.events().filter((event) => event.detailType === 'NotificationDelivered');
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.detail).toMatchObject({
        occurrenceId: idOf(user),
        userId: user.id,
        localDate: LOCAL_DATE,
        statusCode: 204,
      });

      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request!.webhookId).toBe(idOf(user));
      expect(request!.webhookTimestamp).toBe(DUE / SECOND);
      expect(request!.headers['content-type']).toBe('application/json');
      expect(
        verifyWebhook(
          SECRET,
          {
            id: request!.webhookId,
            timestamp: String(request!.webhookTimestamp),
            signature: request!.signature,
          },
          request!.rawBody,
          clock.now() / SECOND,
        ),
      ).toBe(true);
      expect(
        verifyWebhook(
          SECRET,
          {
            id: request!.webhookId,
            timestamp: String(request!.webhookTimestamp),
            signature: request!.signature,
          },
          `${request!.rawBody} `,
          clock.now() / SECOND,
        ),
      ).toBe(false);
      expect(request!.body).toEqual({
        type: 'birthday',
        timestamp: '2027-06-15T09:00:00.000Z',
        data: {
          userId: user.id,
          fullName: 'John Doe',
          message: "Hey, John Doe it's your birthday",
          localDate: LOCAL_DATE,
          timezone: 'UTC',
          scheduledFor: '2027-06-15T09:00:00.000Z',
        },
      });
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(deadLetters()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('when the worker handler gets the batch, then the record succeeds and the event reaches EventBridge', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const received = await receiveAll(queueUrl, { keep: true });
      const handler = createWorkerHandler(() => Promise.resolve(worker));

      const response = await handler(sqsEventOf(received), lambdaContext('occasions-worker', 60_000));

      expect(response).toEqual({ batchItemFailures: [] });
      expect(receiver.accepted(user.id)).toHaveLength(1);
      expect(eventTypes()).toEqual(['NotificationDelivered']);
    });

    it('when the worker handler gets a batch of ten plans, then their users are read in a few batched requests, not ten', async () => {
      const users: StoredUser[] = [];
      for (let i = 0; i < 10; i += 1) users.push(await createUser({ firstName: `User ${i}` }));
      await schedulePassAt(DUE, 10);
      const received = await receiveAll(queueUrl, { keep: true });
      expect(received).toHaveLength(10);
      const reads: string[] = [];
      const name = 'countOccurrenceAndUserReads';
      table.raw.middlewareStack.add(
        (next, context) => (args) => {
          const input = args.input as { Key?: { pk?: { S?: string } }; RequestItems?: unknown };
          const pk = input.Key?.pk?.S ?? '';
          if (input.RequestItems !== undefined) reads.push(context.commandName ?? '');
          else if (pk.startsWith('OCC#') || pk.startsWith('USER#')) reads.push(context.commandName ?? '');
          return next(args);
        },
        { step: 'initialize', name },
      );
      try {
        const handler = createWorkerHandler(() => Promise.resolve(worker));
        const response = await handler(sqsEventOf(received), lambdaContext('occasions-worker', 60_000));

        expect(response).toEqual({ batchItemFailures: [] });
        for (const user of users) expect(receiver.accepted(user.id)).toHaveLength(1);
        // Only GetItems would be counted otherwise: writes (claim, delivered) carry an Item. The
        // occurrences are not read at all (plans, ADR 0010); the users are read after each claim,
        // so the reads of claims that end together share a request: a few, never one per record.
        expect(reads.length).toBeGreaterThan(0);
        expect(reads.length).toBeLessThan(received.length);
        expect(new Set(reads)).toEqual(new Set(['BatchGetItemCommand']));
      } finally {
        table.raw.middlewareStack.remove(name);
      }
    });

    it('when PUBLISH_DELIVERED_EVENTS is left at its default, then the delivery is recorded but not announced', async () => {
      worker.shutdown();
      const { publishDeliveredEvents: _on, ...defaults } = workerSettings();
      worker = buildWorker({ ...common(), ...defaults });
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const received = await receiveAll(queueUrl, { keep: true });
      const results: string[] = [];
      const handler = createWorkerHandler(() => Promise.resolve(worker), {
        onResult: (result) => results.push(result.kind),
      });

      const response = await handler(sqsEventOf(received), lambdaContext('occasions-worker', 60_000));

      expect(response).toEqual({ batchItemFailures: [] });
      expect(results).toEqual(['delivered']);
      expect(receiver.accepted(user.id)).toHaveLength(1);
      expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', deliveredAt: DUE });
      expect(eventTypes()).toEqual([]);
    });
  });

  describe('given a receiver answering 503', () => {
    it('when the message is handled, then it is retrying with one attempt and a new message delayed by the first step ±20 %', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      receiver.replyWith({ status: 503 });

      const result = await handle(message);

      const occurrence = await occurrenceOf(user);
      expect(occurrence).toMatchObject({
        status: 'retrying',
        attempts: 1,
        deferrals: 0,
        attemptSequence: 1,
        lastError: 'HTTP 503',
      });
      expect(occurrence.leaseOwner).toBeUndefined();
      const delayMs = occurrence.nextAttemptAt - DUE;
      expect(delayMs).toBeGreaterThanOrEqual(FIRST_RETRY_MIN_MS);
      expect(delayMs).toBeLessThanOrEqual(FIRST_RETRY_MAX_MS);
      expect(result).toEqual({ kind: 'retry-scheduled', inMs: delayMs });
      expect(await occurrences.listAttempts(idOf(user))).toMatchObject([
        {
          sequence: 1,
          outcome: 'retryable',
          statusCode: 503,
          error: 'HTTP 503',
          responseSnippet: 'receiver says no',
        },
      ]);
      expect(eventTypes()).toEqual([]);

      // The retry is a new delayed message: invisible before its delay, visible after it.
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(await receiveAll(queueUrl)).toEqual([]);
      clock.set(occurrence.nextAttemptAt - 1);
      expect(await receiveAll(queueUrl)).toEqual([]);
      clock.set(DUE + Math.ceil(delayMs / SECOND) * SECOND);
      const retry = await receiveOne();
      // The occurrence is stored now: the retry points at it, without the plan.
      expect(retry).toEqual(pointerOf(message));

      receiver.replyWith({ status: 200 });
      expect((await handle(retry)).kind).toBe('delivered');
      expect(await occurrenceOf(user)).toMatchObject({
        status: 'delivered',
        attempts: 1,
        attemptSequence: 2,
      });
      expect(receiver.requests.map((request) => request.status)).toEqual([503, 200]);
      expect(new Set(receiver.requests.map((request) => request.webhookId))).toEqual(new Set([idOf(user)]));
      // Delivered on the second attempt: both attempts have their items, nothing is kept on it.
      expect(await partitionSortKeys(idOf(user))).toEqual(['ATTEMPT#0001', 'ATTEMPT#0002', 'STATE']);
      expect((await occurrenceOf(user)).firstAttempt).toBeUndefined();
      expect((await occurrences.listAttempts(idOf(user))).map((a) => [a.sequence, a.outcome])).toEqual([
        [1, 'retryable'],
        [2, 'delivered'],
      ]);
      expect(deadLetters()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('given a receiver answering 429 with Retry-After: 120', () => {
    it('when the message is handled, then it is deferred without using the budget and comes back no sooner than 120 s', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      receiver.replyWith({ status: 429, headers: { 'retry-after': '120' } });

      const result = await handle(message);

      const occurrence = await occurrenceOf(user);
      expect(occurrence).toMatchObject({
        status: 'queued',
        attempts: 0,
        deferrals: 1,
        attemptSequence: 1,
        lastError: 'HTTP 429',
      });
      const delayMs = occurrence.nextAttemptAt - DUE;
      expect(delayMs).toBeGreaterThanOrEqual(120 * SECOND);
      // Retry-After is a floor, jittered upwards only (by at most 20 %).
      expect(delayMs).toBeLessThanOrEqual(144 * SECOND);
      expect(result).toEqual({ kind: 'deferred', inMs: delayMs, reason: 'rate-limited' });
      expect(await occurrences.listAttempts(idOf(user))).toMatchObject([
        { sequence: 1, outcome: 'rate-limited', statusCode: 429 },
      ]);

      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      clock.set(DUE + 120 * SECOND - 1);
      expect(await receiveAll(queueUrl)).toEqual([]);
      clock.set(DUE + Math.ceil(delayMs / SECOND) * SECOND);
      expect(await receiveOne()).toEqual(pointerOf(message));
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe('given a small retry budget and a receiver that always answers 500', () => {
    it('when the third attempt fails, then it is failed, parked once in the DLQ and announced', async () => {
      rebuildWorker({
        delaysSeconds: [1, 1],
        jitterRatio: 0,
        retryAfterMinSeconds: 1,
        retryAfterMaxSeconds: 10,
        deferralSeconds: 1,
      });
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      receiver.replyWith({ status: 500 });

      let message = await receiveOne();
      expect(await handle(message)).toEqual({ kind: 'retry-scheduled', inMs: SECOND });
      expect(await occurrenceOf(user)).toMatchObject({ status: 'retrying', attempts: 1 });

      clock.advance(SECOND);
      message = await receiveOne();
      expect(await handle(message)).toEqual({ kind: 'retry-scheduled', inMs: SECOND });
      expect(await occurrenceOf(user)).toMatchObject({ status: 'retrying', attempts: 2 });

      clock.advance(SECOND);
      message = await receiveOne();
      const result = await handle(message);

      expect(result).toEqual({ kind: 'failed', reason: 'retries exhausted: HTTP 500' });
      expect(await occurrenceOf(user)).toMatchObject({
        status: 'failed',
        attempts: 3,
        attemptSequence: 3,
        lastError: 'retries exhausted: HTTP 500',
      });
      expect((await occurrences.listAttempts(idOf(user))).map((attempt) => attempt.statusCode)).toEqual([
        500, 500, 500,
      ]);
      expect(receiver.requests).toHaveLength(3);

      const parked = await receiveAll(dlqUrl);
      expect(parked).toHaveLength(1);
      expect(parked[0]!.message.occurrenceId).toBe(idOf(user));
      expect(parked[0]!.raw.MessageAttributes?.reason?.StringValue).toBe('retries exhausted: HTTP 500');
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      const failed = recorder.events().filter((event) => event.detailType === 'NotificationFailed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.detail).toMatchObject({ occurrenceId: idOf(user), attempts: 3 });
    });
  });

  describe('given a receiver answering 400', () => {
    it('when the message is handled, then it fails at once into the DLQ and is never retried', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      receiver.replyWith({ status: 400 });

      const result = await handle(await receiveOne());

      expect(result).toEqual({ kind: 'failed', reason: 'HTTP 400: HTTP 400' });
      expect(await occurrenceOf(user)).toMatchObject({ status: 'failed', attempts: 1, attemptSequence: 1 });
      expect(await occurrences.listAttempts(idOf(user))).toMatchObject([
        { sequence: 1, outcome: 'permanent', statusCode: 400 },
      ]);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(deadLetters()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
      expect(eventTypes()).toEqual(['NotificationFailed']);

      clock.advance(24 * 60 * MINUTE);
      expect(await receiveAll(queueUrl)).toEqual([]);
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe('given an endpoint failing often enough to open its shared circuit', () => {
    it('then further occurrences are deferred without a POST or their budget, and after the reset timeout one probe closes it', async () => {
      const users: StoredUser[] = [];
      for (let index = 0; index < VOLUME_THRESHOLD + 2; index += 1) {
        users.push(await createUser({ firstName: `User${index}` }));
      }
      await schedulePassAt(DUE, users.length);
      const byId = new Map(
        (await receiveAll(queueUrl)).map(({ message }) => [message.occurrenceId, message]),
      );
      expect(byId.size).toBe(users.length);
      const messageOf = (user: StoredUser): NotificationMessage => byId.get(idOf(user))!;
      const failing = users.slice(0, VOLUME_THRESHOLD);
      const blocked = users.slice(VOLUME_THRESHOLD);
      const store = new DynamoCircuitStateStore({ client: table.doc, tableName: table.tableName });
      const endpointKey = endpointKeyOf(receiver.url);

      // Five failed POSTs in the window: the local breaker trips and writes `open` for everyone.
      receiver.replyWith({ status: 503 });
      for (const user of failing) expect((await handle(messageOf(user))).kind).toBe('retry-scheduled');
      const trippedAt = clock.now();
      expect(receiver.requests).toHaveLength(VOLUME_THRESHOLD);
      expect(await store.get(endpointKey)).toMatchObject({
        state: 'open',
        retryAt: trippedAt + RESET_TIMEOUT_MS,
      });
      await vi.waitFor(() => {
        expect(eventTypes()).toContain('CircuitOpened');
      });

      // Fresh occurrences: deferred with circuit-open, no POST, no attempt, budget untouched.
      for (const user of blocked) {
        expect(await handle(messageOf(user))).toEqual({
          kind: 'deferred',
          inMs: RESET_TIMEOUT_MS,
          reason: 'circuit-open',
        });
        expect(await occurrenceOf(user)).toMatchObject({
          status: 'queued',
          attempts: 0,
          deferrals: 1,
          nextAttemptAt: trippedAt + RESET_TIMEOUT_MS,
          lastError: 'circuit open',
        });
        expect(await occurrences.listAttempts(idOf(user))).toEqual([]);
      }
      expect(receiver.requests).toHaveLength(VOLUME_THRESHOLD);

      // The failed ones' retries come back while it is still open: deferred, attempts stay at 1.
      clock.advance(FIRST_RETRY_MAX_MS);
      const retries = await receiveAll(queueUrl);
      expect(retries.map(({ message }) => message.occurrenceId).sort()).toEqual(failing.map(idOf).sort());
      for (const { message } of retries) {
        expect(await handle(message)).toMatchObject({ kind: 'deferred', reason: 'circuit-open' });
      }
      for (const user of failing) {
        expect(await occurrenceOf(user)).toMatchObject({ status: 'retrying', attempts: 1, deferrals: 1 });
      }
      expect(receiver.requests).toHaveLength(VOLUME_THRESHOLD);

      // Nothing is visible before the reset timeout; at it, every deferred message is.
      clock.set(trippedAt + RESET_TIMEOUT_MS - 1);
      expect(await receiveAll(queueUrl)).toEqual([]);
      clock.set(trippedAt + RESET_TIMEOUT_MS);
      receiver.replyWith({ status: 204 });
      const back = await receiveAll(queueUrl);
      expect(back).toHaveLength(users.length);

      // The first one is the half-open probe: it goes through and closes the circuit.
      const [probe, ...rest] = back;
      expect((await handle(probe!.message)).kind).toBe('delivered');
      expect(receiver.requests).toHaveLength(VOLUME_THRESHOLD + 1);
      expect(await store.get(endpointKey)).toMatchObject({ state: 'closed', failures: 0 });
      await vi.waitFor(() => {
        expect(eventTypes()).toContain('CircuitClosed');
      });

      for (const { message } of rest) expect((await handle(message)).kind).toBe('delivered');
      for (const user of users) expect(receiver.accepted(user.id)).toHaveLength(1);
      for (const user of blocked) {
        expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', attempts: 0, deferrals: 1 });
      }
      for (const user of failing) {
        expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', attempts: 1, deferrals: 1 });
      }
      expect(deadLetters()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('given the user changed after the scheduler pass', () => {
    it('when the user of a plan was deleted, then nothing is written and nothing is POSTed', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      expect(message.plan).toBeDefined();
      await manageUsers.delete(user.id);

      expect(await handle(message)).toEqual({ kind: 'ignored', reason: 'user deleted' });

      // A cancel would be a record of the deleted (perhaps erased) user again.
      expect(await occurrences.get(idOf(user))).toBeUndefined();
      expect(receiver.requests).toHaveLength(0);
      expect(eventTypes()).toEqual([]);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('when the user was deleted, then the occurrence is cancelled and nothing is POSTed', async () => {
      const user = await createRecentUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      await manageUsers.delete(user.id);

      expect(await handle(message)).toEqual({ kind: 'cancelled', reason: 'user deleted' });

      expect(await occurrenceOf(user)).toMatchObject({ status: 'cancelled', statusReason: 'user deleted' });
      expect(receiver.requests).toHaveLength(0);
      expect(await occurrences.listAttempts(idOf(user))).toEqual([]);
      expect(eventTypes()).toEqual(['NotificationCancelled']);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('when the birthday changed, then the occurrence is cancelled and nothing is POSTed', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      await manageUsers.patch(user.id, { birthday: '1990-06-20' }, 'req-edit');

      expect(await handle(message)).toEqual({ kind: 'cancelled', reason: 'birthday or time zone changed' });

      expect(await occurrenceOf(user)).toMatchObject({ status: 'cancelled' });
      expect(receiver.requests).toHaveLength(0);
      expect(eventTypes()).toEqual(['NotificationCancelled']);
    });

    it('when the time zone changed, then the occurrence is cancelled and nothing is POSTed', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      await manageUsers.patch(user.id, { timezone: 'America/New_York' }, 'req-edit');

      expect(await handle(message)).toEqual({ kind: 'cancelled', reason: 'birthday or time zone changed' });

      expect(await occurrenceOf(user)).toMatchObject({ status: 'cancelled' });
      expect(receiver.requests).toHaveLength(0);
    });

    it('when only the name changed, then it is delivered with the new name', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      await manageUsers.patch(user.id, { firstName: 'Jane' }, 'req-edit');

      expect((await handle(message)).kind).toBe('delivered');

      const got = receiver.accepted(user.id);
      expect(got).toHaveLength(1);
      expect(got[0]!.body.data.fullName).toBe('Jane Doe');
      expect(got[0]!.body.data.message).toBe("Hey, Jane Doe it's your birthday");
    });
  });

  describe('given a plan whose occurrence is stored already (ADR 0010)', () => {
    it('when it is one of its date from an earlier schedule, cancelled as stale, then it starts afresh under the plan and is delivered once', async () => {
      const user = await createUser({ timezone: 'America/New_York' }); // 09:00 EDT = 13:00Z
      await schedulePassAt(Date.parse('2027-06-15T13:00:00Z'), 1);
      receiver.replyWith({ status: 503 });
      expect((await handle(await receiveOne())).kind).toBe('retry-scheduled');
      receiver.replyWith({ status: 204 });
      // The zone moves west before the retry: the retry finds the schedule changed and cancels.
      clock.set(Date.parse('2027-06-15T14:00:00Z'));
      await manageUsers.patch(user.id, { timezone: 'Pacific/Honolulu' }, 'req-move'); // 09:00 HST = 19:00Z
      clock.set(Date.parse('2027-06-15T14:01:00Z'));
      expect(await handle(await receiveOne())).toMatchObject({ kind: 'cancelled' });
      expect(await occurrenceOf(user)).toMatchObject({ status: 'cancelled', timezone: 'America/New_York' });

      // Its new 09:00: the edit was hours ago, so the pass sends a plan, whose create fails.
      await schedulePassAt(Date.parse('2027-06-15T19:00:00Z'), 1);
      const plan = await receiveOne();
      expect(plan.plan).toMatchObject({ timezone: 'Pacific/Honolulu' });
      expect(await handle(plan)).toMatchObject({ kind: 'delivered' });

      expect(await occurrenceOf(user)).toMatchObject({
        status: 'delivered',
        timezone: 'Pacific/Honolulu',
        scheduledFor: Date.parse('2027-06-15T19:00:00Z'),
      });
      expect(receiver.accepted(user.id)).toHaveLength(1);
      expect(await handle(plan)).toEqual({ kind: 'ignored', reason: 'already delivered' });
      expect(receiver.accepted(user.id)).toHaveLength(1);
    });

    it('when it is `sending` past its lease (its worker died after the claim), then the plan coming back is sent, not dropped', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      // The claim of a worker that then died: the plan stays on the queue (in flight).
      const [claimed] = await claimPlans([message], occurrences, clock.now(), 35 * SECOND);
      expect(claimed).toMatchObject({ status: 'sending', version: 1 });

      // Within the lease a copy comes back after it, pointing at the stored occurrence.
      expect(await handle(message)).toEqual({ kind: 'deferred', inMs: 36 * SECOND, reason: 'leased' });
      const [comeBack] = await receiveAll(queueUrl, { keep: true });
      expect(comeBack).toBeUndefined(); // delayed: invisible until the lease is over
      // Back after the visibility timeout, past the lease: it takes the notification over.
      clock.advance(6 * MINUTE);
      expect(await handle(message)).toMatchObject({ kind: 'delivered' });
      expect(receiver.accepted(user.id)).toHaveLength(1);
      expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', version: 3 });
      const copies = await receiveAll(queueUrl);
      expect(copies.map(({ message: copy }) => copy.plan)).toEqual([undefined]);
      expect(await handle(copies[0]!.message)).toEqual({ kind: 'ignored', reason: 'already delivered' });
    });

    it('when it is `sending` past its lease and the birthday changed since, then the plan cancels the stored one', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      await claimPlans([message], occurrences, clock.now(), 35 * SECOND);
      clock.advance(6 * MINUTE);
      await manageUsers.patch(user.id, { birthday: '1990-07-01' }, 'req-edit');

      expect(await handle(message)).toEqual({ kind: 'cancelled', reason: 'birthday or time zone changed' });
      expect(await occurrenceOf(user)).toMatchObject({ status: 'cancelled', version: 2 });
      expect(receiver.requests).toHaveLength(0);
    });

    it('when a stale plan meets the occurrence of the schedule that replaced it, then it leaves that one as it is and it is delivered once', async () => {
      const user = await createUser({ timezone: 'Europe/Moscow' }); // 09:00 MSK = 06:00Z
      await schedulePassAt(Date.parse('2027-06-15T06:00:00Z'), 1);
      const moscow = await receiveOne(); // held back: the worker is behind
      clock.set(Date.parse('2027-06-15T07:00:00Z'));
      await manageUsers.patch(user.id, { timezone: 'America/New_York' }, 'req-move'); // 13:00Z
      await schedulePassAt(Date.parse('2027-06-15T13:00:00Z'), 1);
      receiver.replyWith({ status: 503 });
      expect((await handle(await receiveOne())).kind).toBe('retry-scheduled');
      const retrying = await occurrenceOf(user);
      expect(retrying).toMatchObject({ status: 'retrying', timezone: 'America/New_York' });

      // The Moscow plan, stale: its cancel cannot be created, and it must not restart the
      // New York occurrence under the Moscow schedule.
      receiver.replyWith({ status: 204 });
      expect(await handle(moscow)).toMatchObject({ kind: 'deferred', reason: 'not-yet' });
      expect(await occurrenceOf(user)).toEqual(retrying);

      clock.set(retrying.nextAttemptAt + 2 * SECOND);
      const kinds = [];
      for (const { message } of await receiveAll(queueUrl)) kinds.push((await handle(message)).kind);
      expect(kinds.sort()).toEqual(['delivered', 'ignored']);
      expect(receiver.accepted(user.id)).toHaveLength(1);
      expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', timezone: 'America/New_York' });
    });

    it('when its claim-create is all a dead worker left and the user was erased since, then the returning plan deletes it: no record of the user stays', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      // The worker claimed (created) it and died before its re-check; the erasure ran after,
      // and its index did not show the claim yet.
      await claimPlans([message], occurrences, clock.now(), 35 * SECOND);
      await manageUsers.delete(user.id);
      clock.advance(6 * MINUTE);

      expect(await handle(message)).toEqual({ kind: 'ignored', reason: 'user deleted' });

      expect(await occurrences.get(idOf(user))).toBeUndefined();
      expect(await partitionSortKeys(idOf(user))).toEqual([]);
      expect(eventTypes()).toEqual([]);
      expect(receiver.requests).toHaveLength(0);
    });

    it('when an admin cancelled it, then the plan is dropped and nothing is POSTed', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      const cancelled = cancel(plannedOccurrence(message, message.plan!), clock.now(), CANCELLED_BY_ADMIN);
      expect(await occurrences.save(cancelled)).toBe(true);

      expect(await handle(message)).toEqual({ kind: 'ignored', reason: 'already cancelled' });
      expect(receiver.requests).toHaveLength(0);
      expect(await occurrenceOf(user)).toEqual(cancelled);
    });
  });

  describe('given duplicate copies of one message', () => {
    it('when the same message is handled again after delivery, then the second is ignored and one POST was made', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();

      expect((await handle(message)).kind).toBe('delivered');
      const delivered = await occurrenceOf(user);
      expect(await handle(message)).toEqual({ kind: 'ignored', reason: 'already delivered' });

      expect(receiver.requests).toHaveLength(1);
      expect(await occurrenceOf(user)).toEqual(delivered);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(eventTypes()).toEqual(['NotificationDelivered']);
    });

    it('when two copies are handled concurrently, then exactly one POST is made, and the leftover copy is dropped later', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();

      const results = await Promise.all([handle(message), handle(message)]);

      expect(receiver.requests).toHaveLength(1);
      expect(results.filter((result) => result.kind === 'delivered')).toHaveLength(1);
      const other = results.find((result) => result.kind !== 'delivered');
      expect(other?.kind === 'ignored' || (other?.kind === 'deferred' && other.reason === 'leased')).toBe(
        true,
      );
      expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', attemptSequence: 1 });

      // A loser that saw the claim sent itself back for after the lease; that copy is a no-op.
      clock.advance(2 * MINUTE);
      for (const { message: copy } of await receiveAll(queueUrl)) {
        expect(await handle(copy)).toEqual({ kind: 'ignored', reason: 'already delivered' });
      }
      expect(receiver.requests).toHaveLength(1);
      expect(eventTypes()).toEqual(['NotificationDelivered']);
    });

    it('when a copy of the plan arrives before the retry is due, then it is delayed again without a POST', async () => {
      const user = await createUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      receiver.replyWith({ status: 503 });
      expect((await handle(message)).kind).toBe('retry-scheduled');
      const retrying = await occurrenceOf(user);
      receiver.replyWith({ status: 204 });

      // The same message again (SQS delivers at least once) while nextAttemptAt is in the future:
      // its create fails, and it waits for the retry like any copy pointing at the occurrence.
      clock.advance(SECOND);
      const early = await handle(message);

      expect(early).toEqual({
        kind: 'deferred',
        inMs: retrying.nextAttemptAt - clock.now(),
        reason: 'not-yet',
      });
      expect(receiver.requests).toHaveLength(1);
      expect(await occurrenceOf(user)).toEqual(retrying);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 2 });

      // Both copies come back once it is due: one delivers, the other is dropped.
      clock.set(retrying.nextAttemptAt + 2 * SECOND);
      const copies = await receiveAll(queueUrl);
      expect(copies).toHaveLength(2);
      const kinds = [];
      for (const { message: copy } of copies) kinds.push((await handle(copy)).kind);
      expect(kinds).toEqual(['delivered', 'ignored']);
      expect(receiver.accepted(user.id)).toHaveLength(1);
    });
  });

  describe('given eventually consistent reads of the occurrence that lag behind', () => {
    /**
     * Serves eventually consistent reads of one occurrence from a copy taken earlier, as a
     * DynamoDB replica that has not seen the latest write would; consistent reads go through.
     * The worker reads through BatchGetItem (its records' reads are batched): the occurrence's
     * item in the answer is swapped for the copy; the copy is taken with a GetItem.
     */
    const laggingReplica = (id: string) => {
      const name = `lagging-${id}`;
      const seen = { stale: 0, consistent: 0 };
      let copy: { output: unknown; response: unknown } | undefined;
      let recording = false;
      const isTheOccurrence = (pk: unknown): boolean =>
        (typeof pk === 'object' && pk !== null && 'S' in pk ? pk.S : pk) === `OCC#${id}`;
      table.raw.middlewareStack.add(
        (next) => async (args) => {
          const batch = (
            args.input as {
              RequestItems?: Record<string, { Keys?: { pk?: unknown }[]; ConsistentRead?: boolean }>;
            }
          ).RequestItems?.[table.tableName];
          if (batch?.Keys?.some((key) => isTheOccurrence(key.pk))) {
            if (batch.ConsistentRead === true) seen.consistent += 1;
            if (batch.ConsistentRead === true || !copy) return next(args);
            seen.stale += 1;
            const result = await next(args);
            const output = result.output as { Responses?: Record<string, { pk?: unknown }[]> };
            const others = (output.Responses?.[table.tableName] ?? []).filter(
              (item) => !isTheOccurrence(item.pk),
            );
            const stale = (copy.output as { Item?: { pk?: unknown } }).Item;
            output.Responses = {
              ...output.Responses,
              [table.tableName]: stale ? [...others, stale] : others,
            };
            return result;
          }
          const input = args.input as { Key?: { pk?: unknown }; ConsistentRead?: boolean };
          if (!isTheOccurrence(input.Key?.pk) || !('Key' in input) || 'Item' in input) return next(args);
          if (input.ConsistentRead === true) seen.consistent += 1;
          else if (copy && !recording) {
            seen.stale += 1;
            return copy as Awaited<ReturnType<typeof next>>;
          }
          const result = await next(args);
          if (recording) copy = result;
          return result;
        },
        { step: 'build', name },
      );
      /** Takes the copy now: later eventually consistent reads return it. */
      const freeze = async (): Promise<void> => {
        recording = true;
        await occurrences.get(id, { consistent: false });
        recording = false;
      };
      return { seen, freeze, remove: () => table.raw.middlewareStack.remove(name) };
    };

    it('when a duplicate copy reads the occurrence as still queued after its delivery, then the claim fails and no second POST is made', async () => {
      const user = await createRecentUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      const replica = laggingReplica(idOf(user));
      await replica.freeze(); // queued, as the scheduler created it
      try {
        expect((await handle(message)).kind).toBe('delivered');

        const duplicate = await handle(message);

        expect(replica.seen.stale).toBe(2);
        expect(duplicate).toMatchObject({ kind: 'deferred', reason: 'leased' });
        expect(receiver.requests).toHaveLength(1);
        expect(await occurrenceOf(user)).toMatchObject({ status: 'delivered', attemptSequence: 1 });
      } finally {
        replica.remove();
      }
      // The copy it sent itself comes back to a fresh read, and is dropped.
      clock.advance(2 * MINUTE);
      for (const { message: copy } of await receiveAll(queueUrl)) {
        expect(await handle(copy)).toEqual({ kind: 'ignored', reason: 'already delivered' });
      }
      expect(receiver.accepted(user.id)).toHaveLength(1);
    });

    it('when a replay queued a delivered occurrence again and the read still says delivered, then a consistent read finds it queued and it is sent', async () => {
      const user = await createRecentUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      expect((await handle(message)).kind).toBe('delivered');
      const delivered = await occurrenceOf(user);
      const replica = laggingReplica(idOf(user));
      await replica.freeze(); // delivered
      try {
        const replayed = replay(delivered, clock.now(), { jobId: 'job-1', force: true });
        if (typeof replayed === 'string') throw new Error(replayed);
        expect(await occurrences.save(replayed)).toBe(true);

        const result = await handle(message);

        expect(replica.seen).toMatchObject({ stale: 1, consistent: 1 });
        expect(result.kind).toBe('delivered');
        expect(receiver.accepted(user.id)).toHaveLength(2);
      } finally {
        replica.remove();
      }
    });

    it('when an occurrence created a moment ago is not found by the read yet, then a consistent read finds it and it is sent', async () => {
      const user = await createRecentUser();
      const replica = laggingReplica(idOf(user));
      await replica.freeze(); // before the scheduler created it: no item
      try {
        await schedulePassAt(DUE, 1);
        const message = await receiveOne();

        const result = await handle(message);

        expect(replica.seen).toMatchObject({ stale: 1, consistent: 1 });
        expect(result.kind).toBe('delivered');
        expect(receiver.accepted(user.id)).toHaveLength(1);
      } finally {
        replica.remove();
      }
    });
  });

  describe('given too little time left in the invocation', () => {
    it('when the message is handled, then it throws without a POST and the occurrence is unchanged', async () => {
      const user = await createRecentUser();
      await schedulePassAt(DUE, 1);
      const message = await receiveOne();
      const before = await occurrenceOf(user);

      await expect(handle(message, 500)).rejects.toBeInstanceOf(TryAgainLaterError);

      expect(receiver.requests).toHaveLength(0);
      expect(await occurrenceOf(user)).toEqual(before);
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('when every record of a batch must come back, then the handler answers them all as failures instead of throwing', async () => {
      const user = await createRecentUser();
      await schedulePassAt(DUE, 1);
      const received = await receiveAll(queueUrl, { keep: true });
      const handler = createWorkerHandler(() => Promise.resolve(worker));
      const context = { ...lambdaContext('occasions-worker', 60_000), getRemainingTimeInMillis: () => 1_500 };

      const response = await handler(sqsEventOf(received), context);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: received[0]!.raw.MessageId }] });
      expect(receiver.accepted(user.id)).toHaveLength(0);
    });

    it('when the worker handler gets it in a batch, then that record is a batch failure and comes back after the visibility timeout', async () => {
      const done = await createRecentUser({ firstName: 'Done' });
      const user = await createRecentUser();
      await schedulePassAt(DUE, 2);
      const received = await receiveAll(queueUrl, { keep: true });
      expect(received).toHaveLength(2);
      const duplicate = received.find(({ message }) => message.userId === done.id)!;
      const fresh = received.find(({ message }) => message.userId === user.id)!;
      // The other record of the batch is a copy of one that was delivered meanwhile: it needs no time.
      expect((await handle(duplicate.message)).kind).toBe('delivered');
      const before = await occurrenceOf(user);
      const handler = createWorkerHandler(() => Promise.resolve(worker));
      // Under the one-second minimum once the one-second safety margin is taken off.
      const context = { ...lambdaContext('occasions-worker', 60_000), getRemainingTimeInMillis: () => 1_500 };

      const response = await handler(sqsEventOf([duplicate, fresh]), context);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: fresh.raw.MessageId }] });
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.accepted(user.id)).toHaveLength(0);
      expect(await occurrenceOf(user)).toEqual(before);

      // The event source deletes the records that succeeded; the failed one stays in flight and
      // SQS hands it out again after the visibility timeout (30 s by default).
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: duplicate.raw.ReceiptHandle }),
      );
      expect(mainQueue()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      clock.advance(30 * SECOND - 1);
      expect(await receiveAll(queueUrl)).toEqual([]);
      clock.advance(1);
      const again = await receiveOne();
      expect(again).toEqual(fresh.message);
      expect((await handle(again)).kind).toBe('delivered');
      expect(receiver.accepted(user.id)).toHaveLength(1);
    });
  });
});
