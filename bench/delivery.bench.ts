import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoClients, ensureTable, startEmbeddedDynamo } from '#local/embedded-dynamodb';
import { localConfigFromEnv } from '#local/local-config';
import { startLocalRuntime } from '#local/runtime';
import { countAwsRequests } from './support/aws-request-counter';
import { conditionalWritesPerSecond, postsPerSecond } from './support/ceilings';
import { startDynamoMeterProxy, type MeterTally } from './support/dynamo-meter-proxy';
import type { ReceiverProcess } from './support/receiver-process';
import { epochMs, log, round } from './support/stats';
import { BENCH_NOW_ISO, batchWrite, benchUserId, dueUser, userItem } from './support/users';

/** The local runtime's SQS event source: 4 batches of up to 10 in flight (local/runtime.ts). */
export const PIPELINE_CONCURRENCY = 40;
const RUNTIME_TABLE = 'occasions';
const CEILING_TABLE = 'ceiling';
/** A webhook body of the size the worker sends. */
const SAMPLE_BODY = JSON.stringify({
  type: 'birthday',
  timestamp: '2027-06-15T12:00:00.412Z',
  data: {
    userId: '01900000-0000-7000-8000-000000000001',
    fullName: 'First1 Last1',
    message: "Hey, First1 Last1 it's your birthday",
    localDate: '2027-06-15',
    timezone: 'Europe/London',
    scheduledFor: '2027-06-15T08:00:00.000Z',
  },
});

export interface DeliveryRun {
  notifications: number;
  /** Ceiling 1: raw POSTs/s to the receiver at PIPELINE_CONCURRENCY. */
  postsPerSecond: number;
  /** Ceiling 2: raw conditional writes/s to the runtime's dynalite at PIPELINE_CONCURRENCY. */
  writesPerSecond: number;
  lowerCeiling: number;
  /** Delivered webhooks/s between the 10th and the 90th percentile arrival. */
  throughput: number;
  /** From the tick to the last webhook's arrival. */
  burstMs: number;
  /** Scheduler passes it took to enqueue every notification (one per tick). */
  passes: number;
  /** notifications / lowerCeiling. */
  minimumBurstMs: number;
  passMs: number;
  delivered: number;
  duplicates: number;
  failed: number;
  dlq: number;
  /** Worker batches (Lambda invocations) and their mean duration, as measured (what Lambda bills). */
  workerInvocations?: number;
  workerBatchSeconds?: number;
  /** The same mean by Little's law (4 batches in flight throughout), the estimate used before. */
  workerBatchSecondsLittle?: number;
  cost?: CostCounts;
}

export interface CostCounts {
  notifications: number;
  dynamo: MeterTally;
  /** AWS requests by x-amz-target, DynamoDB's included. */
  requests: Record<string, number>;
  eventBridgeEvents: number;
  /** The same counts for one pass with nothing due (the scheduler's fixed cost per tick). */
  idlePass: { dynamo: MeterTally; requests: Record<string, number>; seconds: number };
}

/**
 * One delivery run on the local runtime (local/runtime.ts, as `npm start` runs it, on disk):
 * `notifications` users due at once, the two ceilings measured first on the same receiver and
 * the same dynalite, then one tick and the time until the receiver has every webhook.
 * With `metered` the runtime talks to DynamoDB through the counting proxy and every AWS request
 * is counted (slower: only for the cost figures).
 */
export async function deliveryRun(options: {
  notifications: number;
  receiver: ReceiverProcess;
  ceilingMs: number;
  metered: boolean;
  logLevel: string;
  timeoutMs: number;
}): Promise<DeliveryRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'occasions-bench-'));
  const dynamo = await startEmbeddedDynamo({ path: join(dataDir, 'dynamodb') });
  const { raw, doc } = dynamoClients(dynamo.endpoint);
  const proxy = options.metered ? await startDynamoMeterProxy(dynamo.endpoint, RUNTIME_TABLE) : undefined;
  const counter = options.metered ? countAwsRequests() : undefined;
  try {
    await ensureTable(raw, RUNTIME_TABLE);
    await ensureTable(raw, CEILING_TABLE);
    await batchWrite(
      doc,
      RUNTIME_TABLE,
      Array.from({ length: options.notifications }, (_, i) => ({
        put: userItem(dueUser(benchUserId(1, i), i)),
      })),
    );

    const writesPerSecond = await conditionalWritesPerSecond(
      doc,
      CEILING_TABLE,
      PIPELINE_CONCURRENCY,
      options.ceilingMs,
    );
    await options.receiver.reset();
    const posts = await postsPerSecond(
      options.receiver.url,
      PIPELINE_CONCURRENCY,
      options.ceilingMs,
      SAMPLE_BODY,
    );
    await options.receiver.reset();

    const runtime = await startLocalRuntime(
      localConfigFromEnv({
        PORT: '0',
        DATA_DIR: dataDir,
        CLOCK_START: BENCH_NOW_ISO,
        CLOCK_RATE: '1',
        // Passes run only when the bench ticks.
        TICK_SECONDS: String(365 * 86_400),
        LOG_LEVEL: options.logLevel,
        ADMIN_API_KEY: 'bench-admin-key',
        WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        WEBHOOK_URL: options.receiver.url,
        DYNAMODB_ENDPOINT: proxy?.endpoint ?? dynamo.endpoint,
      }),
    );
    try {
      proxy?.reset();
      counter?.reset();
      const invokedBefore = runtime.workerInvocations();
      const tickAt = epochMs();
      // One pass has a time budget (a Lambda's 60 s less a margin): with more due than it can
      // claim in that time, the next tick takes the rest, as the every-minute schedule would in
      // AWS (a pass that stops short is followed by the next minute's). Ticks follow each other
      // at once here, which is what back-to-back minutes amount to for a pass that used its budget.
      const pass = { enqueued: 0, passes: 0 };
      for (;;) {
        const { enqueued, due } = await runtime.tick();
        pass.enqueued += enqueued;
        pass.passes += 1;
        log(`delivery: pass ${pass.passes}: ${due} due, ${enqueued} enqueued (${pass.enqueued} in all)`);
        if (enqueued === 0 || pass.enqueued >= options.notifications) break;
      }
      const passMs = epochMs() - tickAt;
      const stats = await options.receiver.waitForUnique(options.notifications, options.timeoutMs);
      const drained = await runtime.drain(options.timeoutMs);
      const arrivals = [...stats.arrivals].sort((a, b) => a - b);
      const last = arrivals.at(-1) ?? tickAt;
      const low = Math.floor(arrivals.length * 0.1);
      const high = Math.max(low + 1, Math.floor(arrivals.length * 0.9) - 1);
      const window = ((arrivals[high] ?? last) - (arrivals[low] ?? tickAt)) / 1000;
      const lowerCeiling = Math.min(posts, writesPerSecond);
      const run: DeliveryRun = {
        notifications: options.notifications,
        postsPerSecond: posts,
        writesPerSecond,
        lowerCeiling,
        throughput: window > 0 ? (high - low) / window : Number.NaN,
        burstMs: last - tickAt,
        passes: pass.passes,
        minimumBurstMs: (options.notifications / lowerCeiling) * 1000,
        passMs,
        delivered: stats.unique,
        duplicates: stats.webhooks - stats.unique,
        failed: drained.failed,
        dlq: drained.dlq,
      };
      // Each worker invocation's wall time, summed by the local event source: what Lambda bills
      // as duration. Still more than in AWS: the batches in flight share this one process's
      // thread (and dynalite's work), where each Lambda has its own. Measured in every run: the
      // metered run's batches also wait on the counting proxy.
      const invokedAfter = runtime.workerInvocations();
      const invoked = invokedAfter.count - invokedBefore.count;
      run.workerBatchSeconds =
        invoked > 0 ? (invokedAfter.milliseconds - invokedBefore.milliseconds) / invoked / 1000 : 0;
      if (pass.enqueued !== options.notifications) {
        throw new Error(`the pass enqueued ${pass.enqueued} of ${options.notifications}`);
      }
      if (proxy && counter) {
        // DynamoDB requests are counted by the proxy (the channel sees them twice: in and out).
        const sqsAndEvents = (counts: Record<string, number>): Record<string, number> =>
          Object.fromEntries(Object.entries(counts).filter(([target]) => !target.startsWith('DynamoDB_')));
        const requests = sqsAndEvents(counter.counts());
        const dynamoTally = structuredClone(proxy.tally());
        const eventsFile = join(dataDir, 'events', 'events.jsonl');
        const eventBridgeEvents = existsSync(eventsFile)
          ? readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).length
          : 0;
        // Worker invocations: one DeleteMessageBatch per batch that finished anything.
        const invocations = requests['AmazonSQS.DeleteMessageBatch'] ?? 0;
        const deliverySeconds = (last - tickAt) / 1000;
        run.workerInvocations = invocations;
        // Little's law, the estimate used before (4 batches in flight the whole time).
        run.workerBatchSecondsLittle =
          invocations > 0 ? (PIPELINE_CONCURRENCY / 10) * (deliverySeconds / invocations) : 0;
        proxy.reset();
        counter.reset();
        const idleAt = performance.now();
        await runtime.tick();
        const idleSeconds = (performance.now() - idleAt) / 1000;
        run.cost = {
          notifications: stats.unique,
          dynamo: dynamoTally,
          requests,
          eventBridgeEvents,
          idlePass: {
            dynamo: structuredClone(proxy.tally()),
            requests: sqsAndEvents(counter.counts()),
            seconds: idleSeconds,
          },
        };
      }
      log(
        `delivery: ${options.notifications} notifications${options.metered ? ' (metered)' : ''}: ` +
          `${round(run.throughput, 1)}/s, burst ${round(run.burstMs / 1000, 2)} s; ceilings ` +
          `${round(posts, 1)} POST/s, ${round(writesPerSecond, 1)} writes/s`,
      );
      return run;
    } finally {
      await runtime.stop();
    }
  } finally {
    counter?.stop();
    await proxy?.stop();
    raw.destroy();
    await dynamo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
