import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '#adapters/dynamodb/table-layout';
import { ManualClock } from '#commons/clock';
import { buildScheduler } from '#handlers/pipeline';
import { meterCapacity, readUnitsOf } from './support/capacity-middleware';
import { BENCH_TABLE, startLocalAws } from './support/local-aws';
import { log, median, round } from './support/stats';
import {
  BENCH_NOW,
  batchWrite,
  benchUserId,
  dueUser,
  notDueUser,
  seededRandom,
  userItem,
} from './support/users';

export interface SchedulerRun {
  passMs: number;
  due: number;
  enqueued: number;
  readUnits: number;
  readUnitsPerDue: number;
  requests: Record<string, number>;
  scanMs: number;
  scanReadUnits: number;
  scanReadUnitsPerDue: number;
  scanFound: number;
  /** Requests whose answer had no ConsumedCapacity. */
  unreported: number;
}

export interface SchedulerSize {
  users: number;
  due: number;
  loadSeconds: number;
  runs: SchedulerRun[];
  median: {
    passMs: number;
    readUnitsPerDue: number;
    scanMs: number;
    scanReadUnitsPerDue: number;
  };
  capacityReported: boolean;
}

const MAX_LATENESS_MS = 48 * 3_600_000;

/** A full collection when node runs with --expose-gc; nothing otherwise. */
const collectGarbage = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};

/** A table of one size, loaded, whose runs can be measured one at a time. */
export interface SchedulerTable {
  users: number;
  due: number;
  loadSeconds: number;
  /** One pass over `due` fresh due users (run 0 first, then 1, ...), timed and metered. */
  measure(run: number): Promise<SchedulerRun>;
  stop(): Promise<void>;
}

/**
 * Scheduler selectivity: `users` users of which `due` are due at each run; one pass per run,
 * timed, with the read units DynamoDB (dynalite) reports for it, beside a Scan + filter over the
 * same table. Between runs the users the previous run handled are deleted and `due` fresh due
 * users are added, so every run sees the same table size and the same due count. (Handled users
 * stay on their slot in the year-less index, ADR 0009: kept, they would be found again by the next
 * run, whose watermark is set back.) Each size has its own dynalite, so the bench can load every
 * size first and then take their runs in turns (bench/main.ts): a change in the machine's load
 * then falls on every size alike, not on whichever size ran last.
 */
export async function loadSchedulerTable(options: { users: number; due: number }): Promise<SchedulerTable> {
  const clock = new ManualClock(BENCH_NOW);
  const aws = await startLocalAws({ clock });
  try {
    const tally = meterCapacity(aws.raw);
    const random = seededRandom(options.users);
    const notDue = options.users - options.due;
    const started = performance.now();
    const loadStep = 20_000;
    for (let start = 0; start < notDue; start += loadStep) {
      const items = [];
      for (let index = start; index < Math.min(notDue, start + loadStep); index += 1) {
        items.push({ put: userItem(notDueUser(benchUserId(0, index), index, random)) });
      }
      await batchWrite(aws.doc, BENCH_TABLE, items);
    }
    const loadSeconds = (performance.now() - started) / 1000;
    log(`scheduler: ${options.users} users loaded in ${round(loadSeconds, 1)} s`);

    const scheduler = buildScheduler({
      clients: { dynamo: aws.doc, sqs: aws.sqs, eventBridge: aws.eventBridge },
      clock,
      tableName: BENCH_TABLE,
      dueShards: 8,
      queueUrl: aws.queueUrl,
      eventBusName: 'occasions',
      maxLatenessMs: MAX_LATENESS_MS,
    });

    const measure = async (run: number): Promise<SchedulerRun> => {
      // Fresh due users for this run; the previous run's due users leave, so size is constant.
      const dueItems = Array.from({ length: options.due }, (_, i) => ({
        put: userItem(dueUser(benchUserId(run + 1, i), i)),
      }));
      const leaving =
        run === 0
          ? []
          : Array.from({ length: options.due }, (_, i) => ({
              delete: keys.user(benchUserId(run, i)),
            }));
      await batchWrite(aws.doc, BENCH_TABLE, [...dueItems, ...leaving]);
      // The same window every run: the watermark a few hours back, in this month.
      await aws.doc.send(
        new PutCommand({
          TableName: BENCH_TABLE,
          Item: {
            ...keys.watermark(),
            entity: 'watermark',
            watermark: BENCH_NOW - 6 * 3_600_000,
            // As if the pass before ran at the watermark: the users due since are new to this
            // one (not looked up as possibly handled, ADR 0009).
            updatedAt: BENCH_NOW - 6 * 3_600_000,
          },
        }),
      );

      const scan = await scanBaseline(aws.doc, tally);
      tally.reset();
      // The Scan and the setup leave garbage; collect it now rather than during the timed pass
      // (`npm run bench` runs node with --expose-gc).
      collectGarbage();
      const passStart = performance.now();
      const result = await scheduler.run();
      const passMs = performance.now() - passStart;
      const readUnits = readUnitsOf(tally);
      if (result.enqueued !== options.due) {
        throw new Error(
          `pass enqueued ${result.enqueued}, expected ${options.due} (${JSON.stringify(result)})`,
        );
      }
      log(
        `scheduler: ${options.users} users, run ${run + 1}: pass ${round(passMs)} ms, ${readUnits} RCU; ` +
          `scan ${round(scan.ms)} ms, ${scan.readUnits} RCU`,
      );
      return {
        passMs,
        due: result.due,
        enqueued: result.enqueued,
        readUnits,
        readUnitsPerDue: readUnits / result.enqueued,
        requests: { ...tally.requests },
        scanMs: scan.ms,
        scanReadUnits: scan.readUnits,
        scanReadUnitsPerDue: scan.readUnits / options.due,
        scanFound: scan.found,
        unreported: tally.unreported,
      };
    };
    return { users: options.users, due: options.due, loadSeconds, measure, stop: () => aws.stop() };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}

/** The medians of one size's runs. */
export function schedulerSize(table: SchedulerTable, runs: SchedulerRun[]): SchedulerSize {
  return {
    users: table.users,
    due: table.due,
    loadSeconds: table.loadSeconds,
    runs,
    median: {
      passMs: median(runs.map((r) => r.passMs)),
      readUnitsPerDue: median(runs.map((r) => r.readUnitsPerDue)),
      scanMs: median(runs.map((r) => r.scanMs)),
      scanReadUnitsPerDue: median(runs.map((r) => r.scanReadUnitsPerDue)),
    },
    capacityReported: runs.every((r) => r.unreported === 0),
  };
}

/** The approach the due index replaces: read the whole table, keep what is due. */
async function scanBaseline(
  doc: Parameters<typeof batchWrite>[0],
  tally: ReturnType<typeof meterCapacity>,
): Promise<{ ms: number; readUnits: number; found: number }> {
  tally.reset();
  const started = performance.now();
  let found = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: BENCH_TABLE,
        FilterExpression: 'attribute_exists(slotPk) AND dueAt <= :now',
        ExpressionAttributeValues: { ':now': BENCH_NOW },
        ExclusiveStartKey: startKey,
      }),
    );
    found += page.Items?.length ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const ms = performance.now() - started;
  return { ms, readUnits: readUnitsOf(tally), found };
}
