import { RecordedMetrics } from '#local/recorded-metrics';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import type { Principal } from '#api/router';
import { BULK_MAX_BODY_BYTES } from '#api/schemas/users-bulk.schema';
import { ManualClock } from '#commons/clock';
import { bulkUserCommands, composeApi } from '#handlers/api-composition';
import { createApiHandler } from '#handlers/api.handler';
import { composeOperations } from '#handlers/operations-composition';
import { buildScheduler, buildWorker, type Worker } from '#handlers/pipeline';
import { createWorkerHandler } from '#handlers/worker.handler';
import { createApiGatewayAdapter } from '#local/api-gateway-adapter';
import { startEventBridgeRecorder, type EventBridgeRecorder } from '#local/eventbridge-recorder';
import { lambdaContext } from '#local/lambda-context';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import { startTestTable, type TestTable } from './dynamodb';
import { TestReceiver } from './receiver';

export const ADMIN_KEY = 'test-admin-key';
export const VIEWER_KEY = 'test-viewer-key';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const QUEUE = 'notifications';
const DLQ = 'notifications-dlq';
export const SHARDS = 4;

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  apiKey?: string | null;
}

/**
 * The admin API with the operations routes (notification log, DLQ, circuits, bulk users) over
 * HTTP through the local API Gateway stand-in, on real parts: dynalite, the repo's SQS server
 * (a notifications queue and its DLQ), an EventBridge recorder, the worker and a receiver.
 * Time is a ManualClock shared by all of them.
 */
export class OperationsHarness {
  table!: TestTable;
  clock!: ManualClock;
  sqsServer!: SqsServer;
  sqs!: SQSClient;
  queueUrl = '';
  dlqUrl = '';
  recorder!: EventBridgeRecorder;
  eventBridge!: EventBridgeClient;
  receiver!: TestReceiver;
  occurrences!: DynamoOccurrenceRepository;
  manageUsers!: ManageUsers;
  worker!: Worker;
  private server!: Server;
  private baseUrl = '';

  async start(startAt: number): Promise<this> {
    this.table = await startTestTable();
    this.clock = new ManualClock(startAt);
    this.sqsServer = await startSqsServer({ clock: this.clock });
    this.sqs = new SQSClient({ endpoint: this.sqsServer.endpoint, region: 'us-east-1', credentials });
    this.dlqUrl = (await this.sqs.send(new CreateQueueCommand({ QueueName: DLQ }))).QueueUrl ?? '';
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    this.queueUrl =
      (
        await this.sqs.send(
          new CreateQueueCommand({
            QueueName: QUEUE,
            Attributes: {
              VisibilityTimeout: '360',
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: Attributes?.QueueArn,
                maxReceiveCount: 5,
              }),
            },
          }),
        )
      ).QueueUrl ?? '';
    this.recorder = await startEventBridgeRecorder({ clock: this.clock });
    this.eventBridge = new EventBridgeClient({
      endpoint: this.recorder.endpoint,
      region: 'us-east-1',
      credentials,
    });
    this.receiver = await new TestReceiver().start();

    const table = { client: this.table.doc, tableName: this.table.tableName };
    this.occurrences = new DynamoOccurrenceRepository({ ...table, watchShards: SHARDS });
    const userDeps = {
      users: new DynamoUserRepository({ ...table, dueShards: SHARDS }),
      occurrences: this.occurrences,
      clock: this.clock,
    };
    this.manageUsers = new ManageUsers(userDeps);
    this.worker = this.buildWorker();

    const common = {
      dynamo: this.table.doc,
      sqs: this.sqs,
      tableName: this.table.tableName,
      dueShards: SHARDS,
      queueUrl: this.queueUrl,
      deadLetterQueueUrl: this.dlqUrl,
      clock: this.clock,
    };
    const handler = createApiHandler({
      ...composeApi({ ...common, metrics: new RecordedMetrics({ clock: this.clock }) }),
      operations: composeOperations({
        ...common,
        bulkUserCommands: () => bulkUserCommands(userDeps),
        events: new EventBridgePublisher({ client: this.eventBridge, eventBusName: 'occasions' }),
        deadLetterWaitSeconds: 0,
      }),
    });
    const principals: Record<string, Principal> = {
      [ADMIN_KEY]: { keyId: 'admin-key', role: 'admin' },
      [VIEWER_KEY]: { keyId: 'viewer-key', role: 'viewer' },
    };
    const adapter = createApiGatewayAdapter({
      handler,
      authorize: (apiKey) => Promise.resolve(apiKey === undefined ? undefined : principals[apiKey]),
      clock: this.clock,
      maxBodyBytes: BULK_MAX_BODY_BYTES,
    });
    this.server = createServer((req, res) => void adapter(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  buildWorker(): Worker {
    return buildWorker({
      clients: { dynamo: this.table.doc, sqs: this.sqs, eventBridge: this.eventBridge },
      clock: this.clock,
      tableName: this.table.tableName,
      dueShards: SHARDS,
      queueUrl: this.queueUrl,
      eventBusName: 'occasions',
      deadLetterQueueUrl: this.dlqUrl,
      webhookUrl: this.receiver.url,
      webhookSecret: SECRET,
      webhookTimeoutMs: 5_000,
      // The operations tests count deliveries by their events (off by default in AWS).
      publishDeliveredEvents: true,
    });
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.sqs.destroy();
    this.eventBridge.destroy();
    await this.receiver.stop();
    await this.sqsServer.stop();
    await this.recorder.stop();
    await this.table.stop();
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey !== null) headers['x-api-key'] = options.apiKey ?? ADMIN_KEY;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Answer['body']) : {},
    };
  }

  /** One scheduler pass at `at`. */
  async schedulePassAt(at: number): Promise<number> {
    this.clock.set(at);
    const pass = await buildScheduler({
      clients: { dynamo: this.table.doc, sqs: this.sqs, eventBridge: this.eventBridge },
      clock: this.clock,
      tableName: this.table.tableName,
      dueShards: SHARDS,
      queueUrl: this.queueUrl,
      eventBusName: 'occasions',
      maxLatenessMs: 48 * 3_600_000,
    }).run();
    return pass.enqueued;
  }

  /** The worker Lambda on every message visible on the main queue now, batch by batch, until none is. */
  async work(): Promise<number> {
    const handler = createWorkerHandler(() => Promise.resolve(this.worker));
    let handled = 0;
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) return handled;
      const event: SQSEvent = {
        Records: Messages.map((raw) => ({
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
      };
      const response = await handler(event, lambdaContext('occasions-worker', 60_000));
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      // As the event source does: acknowledged records are deleted, failed ones come back later.
      for (const raw of Messages) {
        if (failed.has(raw.MessageId ?? '')) continue;
        await this.sqs.send(
          new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: raw.ReceiptHandle }),
        );
      }
      handled += Messages.length;
    }
  }

  deadLetterStats(): { visible: number; inFlight: number; delayed: number } {
    return this.sqsServer.stats(DLQ);
  }

  mainQueueStats(): { visible: number; inFlight: number; delayed: number } {
    return this.sqsServer.stats(QUEUE);
  }

  eventTypes(): string[] {
    return this.recorder.events().map((event) => event.detailType);
  }
}
