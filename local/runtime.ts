import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { systemClock } from '#commons/clock';
import { InFlight } from '#commons/in-flight';
import { parseAllowedHosts, type AllowedHosts } from '#domain/allowed-hosts';
import { DEFAULT_DUE_SHARDS } from '#adapters/dynamodb/table-layout';
import { logger, observeMetrics } from '#commons/powertools';
import { BULK_MAX_BODY_BYTES } from '#api/schemas/users-bulk.schema';
import { createApiHandler } from '#handlers/api.handler';
import { composeApi, composeAuthenticate } from '#handlers/api-composition';
import { buildScheduler, buildWorker } from '#handlers/pipeline';
import { createSchedulerHandler } from '#handlers/scheduler.handler';
import { createWorkerHandler } from '#handlers/worker.handler';
import { createReplayHandler, type ReplayRuntime } from '#handlers/replay.handler';
import { InProcessReplayLauncher } from '#adapters/lambda/in-process-replay-launcher';
import type { PassResult } from '#use-cases/schedule-due.use-case';
import { createApiGatewayAdapter } from './api-gateway-adapter';
import {
  dynamoClients,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startEmbeddedDynamo,
} from './embedded-dynamodb';
import { startEventBridgeRecorder } from './eventbridge-recorder';
import { lambdaContext } from './lambda-context';
import { listenOnLoopback } from './listen';
import type { LocalConfig } from './local-config';
import { localRoutes, type DrainResult } from './local-routes';
import { loadClockInstant, loadSecrets, saveClockInstant } from './local-state';
import { SimulatedClock } from './simulated-clock';
import { startSqsPoller } from './sqs-poller';
import { RecordedMetrics } from './recorded-metrics';
import { startSqsServer } from './sqs/sqs-server';
import { WebhookSink } from './webhook-sink';

export const LOCAL_TABLE = 'occasions';
export const LOCAL_QUEUE = 'occasions-notifications';
export const LOCAL_DLQ = 'occasions-notifications-dlq';
/** As in AWS: the worker's timeout, and a visibility of six times it. */
const WORKER_TIMEOUT_MS = 60_000;
const MAX_RECEIVE_COUNT = 5;
const POLLER_CONCURRENCY = 4;
/** The defaults of the AWS functions (MAX_LATENESS_HOURS, WEBHOOK_TIMEOUT_MS). */
const MAX_LATENESS_MS = 48 * 3_600_000;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** The replay function's timeout in AWS: a job running longer continues in a fresh run. */
const REPLAY_TIMEOUT_MS = 5 * 60_000;

/** Faults the runtime can inject, for the tests that prove nothing is lost or sent twice. */
export interface LocalFaults {
  /** The SQS event source hands every batch to two worker invocations at once. */
  deliverEveryMessageTwice?: boolean;
  /**
   * The worker's webhook timeout in real ms instead of WEBHOOK_TIMEOUT_MS, so a receiver slower
   * than the timeout costs a test a second, not ten (at least the worker's 1 s minimum attempt).
   */
  webhookTimeoutMs?: number;
}

/** Where the stand-ins listen: fault tests add a second pipeline on the same table and queue. */
export interface LocalEndpoints {
  dynamodb: string;
  sqs: string;
  eventBridge: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
}

export interface LocalRuntime {
  url: string;
  adminApiKey: string;
  webhookSecret: string;
  generatedSecrets: readonly string[];
  clock: SimulatedClock;
  endpoints: LocalEndpoints;
  /** One scheduler pass, as POST /_local/tick runs it. */
  tick(): Promise<PassResult>;
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Worker invocations since start and their summed wall time (see Poller.invocations). */
  workerInvocations(): { count: number; milliseconds: number };
  /**
   * Stops taking work (new API requests get 503), lets in-flight deliveries finish (the built-in
   * receiver stays open until the worker has stopped) and the API requests begun, then closes
   * every connection and the stores; idempotent.
   */
  stop(): Promise<void>;
}

/**
 * The whole service on one machine (CONTRACT section 2): dynalite, the repo's SQS server and an
 * EventBridge recorder stand in for AWS; the same handlers the Lambdas run are driven by an API
 * Gateway adapter, a schedule timer and an SQS poller, all on one simulated clock.
 */
export async function startLocalRuntime(
  config: LocalConfig,
  options: { faults?: LocalFaults } = {},
): Promise<LocalRuntime> {
  mkdirSync(config.dataDir, { recursive: true });
  logger.setLogLevel(config.logLevel as Parameters<typeof logger.setLogLevel>[0]);
  const secrets = loadSecrets(config.dataDir, config);
  const clock = new SimulatedClock(
    Math.max(config.clockStart ?? systemClock.now(), loadClockInstant(config.dataDir) ?? 0),
    config.clockRate,
  );
  const stoppers: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stopOne of stoppers.reverse().splice(0)) await stopOne();
  };

  try {
    const dynamo = config.dynamodbEndpoint
      ? undefined
      : await startEmbeddedDynamo({ path: join(config.dataDir, 'dynamodb') });
    if (dynamo) stoppers.push(() => dynamo.stop());
    const { raw, doc } = dynamoClients(config.dynamodbEndpoint ?? dynamo?.endpoint ?? '');
    stoppers.push(() => {
      raw.destroy();
    });
    await ensureTable(raw, LOCAL_TABLE);

    const sqsServer = await startSqsServer({ clock, dataDir: join(config.dataDir, 'sqs') });
    stoppers.push(() => sqsServer.stop());
    const sqs = new SQSClient({
      endpoint: sqsServer.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    stoppers.push(() => {
      sqs.destroy();
    });
    const queues = await createQueues(sqs, config.clockRate);

    const recorder = await startEventBridgeRecorder({ dataDir: join(config.dataDir, 'events'), clock });
    stoppers.push(() => recorder.stop());
    const eventBridge = new EventBridgeClient({
      endpoint: recorder.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    stoppers.push(() => {
      eventBridge.destroy();
    });

    let dispatch: (req: IncomingMessage, res: ServerResponse) => Promise<void> = (_req, res) => {
      res.writeHead(503, { 'retry-after': '1' });
      res.end();
      return Promise.resolve();
    };
    // Once stopping, new requests get 503 (the built-in receiver's excepted: the worker delivers
    // to it until it stops). Requests still being handled are waited for: a client that hung up
    // leaves no connection for `server.close()` to wait for, but its request's work goes on and
    // needs the stores.
    let closing = false;
    const requestsInFlight = new InFlight();
    const server = createServer((req, res) => {
      if (closing && !isSinkDelivery(req)) {
        res.writeHead(503, { 'retry-after': '1', connection: 'close' });
        res.end();
        return;
      }
      void requestsInFlight.track(
        dispatch(req, res).catch((error: unknown) => {
          logger.error('local request failed', { error });
          if (!res.headersSent) res.writeHead(500);
          res.end();
        }),
      );
    });
    const { port } = await listenOnLoopback(server, config.port);
    // Runs after the worker and the timer have stopped (stoppers run last-pushed first), before
    // the stores: no more connections, the requests begun finish, then every connection goes
    // (a keep-alive client, such as the console polling, would otherwise hold the server open).
    stoppers.push(async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      await requestsInFlight.settled();
      server.closeAllConnections();
      await closed;
    });
    const url = `http://127.0.0.1:${port}`;

    const sink = new WebhookSink({
      secret: secrets.webhookSecret,
      clock,
      clockRate: config.clockRate,
      dataDir: config.dataDir,
    });
    const common = {
      clients: { dynamo: doc, sqs, eventBridge },
      clock,
      tableName: LOCAL_TABLE,
      dueShards: DEFAULT_DUE_SHARDS,
      queueUrl: queues.queueUrl,
      eventBusName: 'occasions',
    };
    const scheduler = buildScheduler({ ...common, maxLatenessMs: MAX_LATENESS_MS });
    const worker = buildWorker({
      ...common,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      webhookUrl: config.webhookUrl ?? `${url}/_local/sink`,
      webhookSecret: secrets.webhookSecret,
      ...(config.webhookPreviousSecret ? { webhookPreviousSecrets: [config.webhookPreviousSecret] } : {}),
      webhookTimeoutMs: options.faults?.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
      webhookUrlPolicy: config.webhookUrlPolicy,
      timeScale: config.clockRate,
      publishDeliveredEvents: config.publishDeliveredEvents,
    });
    stoppers.push(() => {
      worker.shutdown();
    });

    // The dashboard's series under `npm start` (GET /v1/metrics, the console): what the handlers
    // emit, recorded on this runtime's clock, and the queues' depths after every pass.
    const recordedMetrics = new RecordedMetrics({
      clock,
      queueDepths: () => ({ notifications: sqsServer.stats(LOCAL_QUEUE), dlq: sqsServer.stats(LOCAL_DLQ) }),
    });
    stoppers.push(
      observeMetrics((metric) => {
        recordedMetrics.record(metric);
      }),
    );

    const schedulerHandler = createSchedulerHandler(() => Promise.resolve(scheduler));
    const passesInFlight = new InFlight();
    // One pass at a time (a tick during a jump's pass runs after it), as one scheduler on a
    // schedule mostly is: passes side by side are safe, but each would hand on the same plans
    // (ADR 0010), and the copies would only make the worker look twice.
    let previousPass: Promise<unknown> = Promise.resolve();
    const tick = (): Promise<PassResult> => {
      const pass = previousPass
        .catch(() => undefined)
        .then(() => schedulerHandler({} as ScheduledEvent, lambdaContext('occasions-scheduler', 60_000)))
        .finally(() => {
          recordedMetrics.sampleQueues();
          saveClockInstant(config.dataDir, clock.now());
        });
      void passesInFlight.track(pass);
      previousPass = pass;
      return pass;
    };
    /** A pass nobody waits for (the timer, a clock jump): its failure is logged, not thrown. */
    const tickLogged = (): Promise<void> =>
      tick().then(
        () => undefined,
        (error: unknown) => {
          logger.error('scheduler pass failed', { error });
        },
      );
    const tickInBackground = (): void => {
      void tickLogged();
    };

    // Counted from the worker's results, not from NotificationDelivered events: those are only
    // published when PUBLISH_DELIVERED_EVENTS asks for them.
    const outcomes = { delivered: 0, failed: 0 };
    const workerHandler = createWorkerHandler(() => Promise.resolve(worker), {
      onResult: (result) => {
        if (result.kind === 'delivered') outcomes.delivered += 1;
        else if (result.kind === 'failed') outcomes.failed += 1;
      },
    });
    const poller = startSqsPoller({
      client: sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: (event, context) => workerHandler(event, context),
      deliverEveryBatchTwice: options.faults?.deliverEveryMessageTwice ?? false,
      concurrency: POLLER_CONCURRENCY,
      batchSize: 10,
      functionTimeoutMs: WORKER_TIMEOUT_MS,
      onError: (error) => {
        logger.warn('worker batch failed; its messages come back after the visibility timeout', { error });
      },
    });
    stoppers.push(async () => {
      await poller.stop();
      await passesInFlight.settled();
    });

    // Replay jobs run through the replay handler in the background, as the asynchronous
    // invocations of AWS do; the handler's runtime is bound once the API has composed it.
    let replayRuntime: ReplayRuntime | undefined;
    const replayHandler = createReplayHandler(() =>
      replayRuntime ? Promise.resolve(replayRuntime) : Promise.reject(new Error('replay not composed yet')),
    );
    const replayLauncher = new InProcessReplayLauncher(
      (jobId) => replayHandler({ jobId }, lambdaContext('occasions-replay', REPLAY_TIMEOUT_MS)),
      (jobId, error) => {
        logger.error('replay job failed; repeat the request to resume it', { jobId, error });
      },
    );
    stoppers.push(() => replayLauncher.settled());

    const drain = async (timeoutMs: number): Promise<DrainResult> => {
      const deadline = systemClock.now() + timeoutMs;
      for (;;) {
        // Replays first: what they queue is then on the queue this waits for.
        await replayLauncher.settled();
        await passesInFlight.settled();
        const main = sqsServer.stats(LOCAL_QUEUE);
        const idle = main.visible === 0 && main.inFlight === 0 && poller.busy() === 0;
        // Stopping: the worker is going, so what is left stays queued; answer with it now.
        if (idle || closing || systemClock.now() >= deadline) {
          const dlq = sqsServer.stats(LOCAL_DLQ);
          return {
            delivered: outcomes.delivered,
            failed: outcomes.failed,
            pending: main.visible + main.inFlight + main.delayed,
            dlq: dlq.visible + dlq.inFlight + dlq.delayed,
          };
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    let jumps: Promise<unknown> = Promise.resolve();
    const composed = composeApi({
      dynamo: doc,
      sqs,
      tableName: LOCAL_TABLE,
      dueShards: DEFAULT_DUE_SHARDS,
      queueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      clock,
      rateLimit: { ratePerSecond: config.apiRateLimit, burst: config.apiBurstLimit },
      ...(config.corsAllowOrigin ? { cors: { allowedOrigins: [config.corsAllowOrigin] } } : {}),
      // Event types' own webhook URLs: http allowed locally, private ones only if listed.
      webhookUrlPolicy: { requireHttps: false, allowed: allowedWebhookHosts(config.webhookAllowedHosts) },
      // Admins' circuit changes go to the same recorder as the worker's; the local SQS server answers exactly.
      events: worker.publisher,
      deadLetterWaitSeconds: 0,
      metrics: recordedMetrics,
      replayLauncher,
    });
    if (composed.replays) replayRuntime = { replays: composed.replays, launcher: replayLauncher };
    const apiHandler = createApiHandler({
      ...composed,
      extraRoutes: localRoutes({
        clock,
        jumpClock: (instant) => {
          // One jump at a time: a second one must not resume the poller under the first.
          const jump = jumps.then(async () => {
            // No delivery is in flight across a jump: its lease and visibility would expire at once.
            await poller.pause();
            try {
              clock.set(instant);
            } finally {
              poller.resume();
            }
            saveClockInstant(config.dataDir, clock.now());
            // Time passed: run the pass the timer would have run.
            tickInBackground();
          });
          jumps = jump.catch(() => undefined);
          return jump;
        },
        tick,
        drain,
        sinkItems: () => sink.items(),
      }),
    });
    const authenticate = composeAuthenticate({
      dynamo: doc,
      tableName: LOCAL_TABLE,
      clock,
      bootstrapKey: () => Promise.resolve(secrets.adminApiKey),
    });
    const api = createApiGatewayAdapter({
      handler: apiHandler,
      authorize: (apiKey) => authenticate.principalOf(apiKey),
      clock,
      // API Gateway takes up to 10 MB; the API checks each route's own limit (1 MiB for bulk users).
      maxBodyBytes: BULK_MAX_BODY_BYTES,
    });
    // The receiver authenticates webhooks by their signature, not by the admin key.
    dispatch = (req, res) => (isSinkDelivery(req) ? sink.handle(req, res) : api(req, res));

    // The timer adds at most one pass to the chain of passes (see tick) at a time.
    let timerPass: Promise<unknown> | undefined;
    const timerTick = (): void => {
      timerPass ??= tickLogged().finally(() => {
        timerPass = undefined;
      });
    };
    const timer = setInterval(timerTick, timerPeriodMs(clock.realDelayFor(config.tickSeconds * 1000)));
    stoppers.push(() => {
      clearInterval(timer);
      saveClockInstant(config.dataDir, clock.now());
    });

    let stopping: Promise<void> | undefined;
    return {
      url,
      adminApiKey: secrets.adminApiKey,
      webhookSecret: secrets.webhookSecret,
      generatedSecrets: secrets.generated,
      clock,
      endpoints: {
        dynamodb: config.dynamodbEndpoint ?? dynamo?.endpoint ?? '',
        sqs: sqsServer.endpoint,
        eventBridge: recorder.endpoint,
        ...queues,
      },
      tick,
      drain,
      workerInvocations: () => poller.invocations(),
      stop: () => {
        closing = true;
        return (stopping ??= stopAll());
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** WEBHOOK_ALLOWED_HOSTS, parsed; a malformed entry stops the start, naming it. */
function allowedWebhookHosts(entries: readonly string[]): AllowedHosts {
  const parsed = parseAllowedHosts(entries);
  if (!parsed.ok) throw new Error(`WEBHOOK_ALLOWED_HOSTS: ${parsed.problem}`);
  return parsed.value;
}

/** setInterval fires at once for periods beyond 2^31-1 ms; a longer period means "practically never". */
const MAX_TIMER_MS = 2 ** 31 - 1;
const timerPeriodMs = (realMs: number): number => Math.min(MAX_TIMER_MS, Math.max(50, realMs));

/** SQS's maximum visibility timeout, in seconds. */
const MAX_VISIBILITY_SECONDS = 43_200;

async function createQueues(
  sqs: SQSClient,
  clockRate: number,
): Promise<{ queueUrl: string; queueArn: string; deadLetterQueueUrl: string }> {
  // Create by name, then set the attributes: a restart with another CLOCK_RATE changes them,
  // and CreateQueue with different attributes is refused (as in AWS).
  const dlqUrl = await createOrUpdateQueue(sqs, LOCAL_DLQ, { MessageRetentionPeriod: String(14 * 86_400) });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const mainUrl = await createOrUpdateQueue(sqs, LOCAL_QUEUE, {
    // Six worker timeouts of real time, as in AWS; on a faster clock that is more clock time.
    VisibilityTimeout: String(
      Math.min(MAX_VISIBILITY_SECONDS, Math.ceil((6 * WORKER_TIMEOUT_MS * clockRate) / 1000)),
    ),
    // 7 days, as in AWS (lib/stateful-stack.ts): a plan is only its message until claimed.
    MessageRetentionPeriod: String(7 * 86_400),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  return { queueUrl: mainUrl, queueArn: await queueArn(sqs, mainUrl), deadLetterQueueUrl: dlqUrl };
}

async function createOrUpdateQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`queue ${name} has no URL`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no ARN`);
  return arn;
}

/** A webhook to the built-in receiver (`POST /_local/sink`), not a call of the API. */
function isSinkDelivery(req: IncomingMessage): boolean {
  return req.method === 'POST' && req.url?.split('?')[0] === '/_local/sink';
}
