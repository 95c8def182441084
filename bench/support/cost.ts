import type { CostCounts, DeliveryRun } from '../delivery.bench';

/**
 * us-east-1 on-demand prices in dollars. DynamoDB: after the November 2024 price cut. Lambda:
 * arm64 (the functions' architecture). See docs/performance.md for which were verified where.
 */
export const PRICES = {
  dynamoReadUnit: 0.125 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  eventBridgeEvent: 1 / 1e6,
} as const;

/** Memory of the scheduler and worker functions (service-function.ts default). */
const LAMBDA_GB = 0.5;
/** The scheduler's passes per day (every minute), whatever is due. */
const PASSES_PER_DAY = 1_440;
/**
 * The worker's event source long-polls the queue when it is empty: five pollers while idle
 * ("can optimize to as few as 2 ... not available when you enable the maximum concurrency
 * setting", which the stack sets; Lambda developer guide, SQS scaling), each one long poll of 20 s
 * at a time (assumed: the longest SQS allows; the guide gives no wait).
 */
const IDLE_POLLERS = 5;
const IDLE_RECEIVES_PER_DAY = IDLE_POLLERS * (86_400 / 20);
/** Birthdays per day at 10 M users: the scale at which the fixed cost is also shown per notification. */
export const NOTIFICATIONS_PER_DAY_AT_10M = 10_000_000 / 365.25;

export interface CostLine {
  item: string;
  perNotification: number;
  dollarsPerMillion: number;
}

export interface FixedCostLine {
  item: string;
  /** What is billed per day: request or read/write units, GB-seconds. */
  perDay: Record<string, number>;
  dollarsPerDay: number;
}

export interface CostBreakdown {
  /** The worker batch duration the GB-seconds line bills. */
  workerBatchSeconds: number;
  /** Per notification, from the requests counted during the run (the definition). */
  lines: CostLine[];
  /** Dollars per million notifications: the sum of `lines`, the figure the goal is about. */
  total: number;
  /** What runs whatever is due (the scheduler's every-minute pass, the event source's polls). */
  fixed: FixedCostLine[];
  fixedDollarsPerDay: number;
  /** `total` plus the fixed cost spread over the notifications of 10 M users' birthdays. */
  totalWithFixedAt10M: number;
  /** Where the DynamoDB write units went, per notification. */
  writeUnitsByTarget: Record<string, number>;
  readUnitsByOperation: Record<string, number>;
}

const sum = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);
const per = (record: Record<string, number>, n: number): Record<string, number> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value / n]));

/** The fixed cost per day: one measured idle pass every minute, and the idle event source's polls. */
function fixedCostPerDay(idlePass: CostCounts['idlePass']): FixedCostLine[] {
  const readUnits = sum(idlePass.dynamo.readUnits) * PASSES_PER_DAY;
  const writeUnits =
    (sum(idlePass.dynamo.tableWriteUnits) + sum(idlePass.dynamo.indexWriteUnits)) * PASSES_PER_DAY;
  const gbSeconds = LAMBDA_GB * idlePass.seconds * PASSES_PER_DAY;
  const sqsRequests =
    sum(
      Object.fromEntries(
        Object.entries(idlePass.requests).filter(([target]) => target.startsWith('AmazonSQS.')),
      ),
    ) * PASSES_PER_DAY;
  return [
    {
      item: `scheduler: ${PASSES_PER_DAY.toLocaleString('en')} passes a day with nothing due (one measured)`,
      perDay: { readUnits, writeUnits, sqsRequests, invocations: PASSES_PER_DAY, gbSeconds },
      dollarsPerDay:
        readUnits * PRICES.dynamoReadUnit +
        sqsRequests * PRICES.sqsRequest +
        writeUnits * PRICES.dynamoWriteUnit +
        PASSES_PER_DAY * PRICES.lambdaRequest +
        gbSeconds * PRICES.lambdaGbSecondArm,
    },
    {
      item: `worker event source: ${IDLE_POLLERS} pollers' empty 20 s receives`,
      perDay: { sqsRequests: IDLE_RECEIVES_PER_DAY },
      dollarsPerDay: IDLE_RECEIVES_PER_DAY * PRICES.sqsRequest,
    },
  ];
}

/**
 * Dollars per million notifications from the requests counted during a metered delivery run
 * (what each notification adds), and beside it the fixed cost per day of what runs whatever is
 * due, which no number of notifications changes.
 */
export function costPerMillion(
  run: DeliveryRun,
  options: {
    /**
     * A worker batch's duration to bill, when the metered run's own is not the one to use: its
     * batches also wait on the counting proxy in front of DynamoDB (bench/main.ts passes the
     * median of the unmetered runs').
     */
    workerBatchSeconds?: number;
  } = {},
): CostBreakdown {
  const cost = run.cost;
  if (!cost) throw new Error('the delivery run was not metered');
  const n = cost.notifications;
  const { dynamo, requests, idlePass } = cost;
  const readUnits = sum(dynamo.readUnits) / n;
  const writeTargets: Record<string, number> = {
    ...per(
      Object.fromEntries(Object.entries(dynamo.tableWriteUnits).map(([op, v]) => [`table ${op}`, v])),
      n,
    ),
    ...per(
      Object.fromEntries(Object.entries(dynamo.indexWriteUnits).map(([index, v]) => [`index ${index}`, v])),
      n,
    ),
    'conditional check failures': sum(dynamo.conditionalFailures) / n,
  };
  const writeUnits = sum(writeTargets);
  const deletes = requests['AmazonSQS.DeleteMessageBatch'] ?? 0;
  // Billable SQS requests: sends, deletes, and one non-empty receive per batch (the event source's
  // empty long polls are a fixed cost of cents a day; the local poller's 1 s polls would inflate it).
  const sqsRequests =
    ((requests['AmazonSQS.SendMessageBatch'] ?? 0) +
      (requests['AmazonSQS.SendMessage'] ?? 0) +
      (requests['AmazonSQS.ChangeMessageVisibility'] ?? 0) +
      (requests['AmazonSQS.DeleteMessage'] ?? 0) +
      deletes * 2) /
    n;
  const workerInvocations = (run.workerInvocations ?? deletes) / n;
  // The passes that handed the run's notifications on are part of it too: their invocations and
  // their wall time (which, sharing the process with the worker, overstates a Lambda's).
  const invocations = workerInvocations + run.passes / n;
  const gbSeconds =
    workerInvocations * LAMBDA_GB * (options.workerBatchSeconds ?? run.workerBatchSeconds ?? 0) +
    (LAMBDA_GB * run.passMs) / 1000 / n;
  const events = cost.eventBridgeEvents / n;
  const lines: CostLine[] = [
    {
      item: 'DynamoDB write units',
      perNotification: writeUnits,
      dollarsPerMillion: writeUnits * PRICES.dynamoWriteUnit * 1e6,
    },
    {
      item: 'DynamoDB read units',
      perNotification: readUnits,
      dollarsPerMillion: readUnits * PRICES.dynamoReadUnit * 1e6,
    },
    {
      item: 'SQS requests',
      perNotification: sqsRequests,
      dollarsPerMillion: sqsRequests * PRICES.sqsRequest * 1e6,
    },
    {
      item: 'Lambda invocations',
      perNotification: invocations,
      dollarsPerMillion: invocations * PRICES.lambdaRequest * 1e6,
    },
    {
      item: 'Lambda GB-seconds',
      perNotification: gbSeconds,
      dollarsPerMillion: gbSeconds * PRICES.lambdaGbSecondArm * 1e6,
    },
    {
      item: 'EventBridge events',
      perNotification: events,
      dollarsPerMillion: events * PRICES.eventBridgeEvent * 1e6,
    },
  ];
  const total = lines.reduce((sum, line) => sum + line.dollarsPerMillion, 0);
  const fixed = fixedCostPerDay(idlePass);
  const fixedDollarsPerDay = fixed.reduce((sum, line) => sum + line.dollarsPerDay, 0);
  return {
    workerBatchSeconds: options.workerBatchSeconds ?? run.workerBatchSeconds ?? 0,
    lines,
    total,
    fixed,
    fixedDollarsPerDay,
    totalWithFixedAt10M: total + (fixedDollarsPerDay / NOTIFICATIONS_PER_DAY_AT_10M) * 1e6,
    writeUnitsByTarget: writeTargets,
    readUnitsByOperation: per(dynamo.readUnits, n),
  };
}
