import type { DeliveryRun } from '../delivery.bench';

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
/** Birthdays per day at 10 M users, and the scheduler's passes per day, for its fixed share. */
const NOTIFICATIONS_PER_DAY_AT_10M = 10_000_000 / 365.25;
const PASSES_PER_DAY = 1_440;

export interface CostLine {
  item: string;
  perNotification: number;
  dollarsPerMillion: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  total: number;
  /** Where the DynamoDB write units went, per notification. */
  writeUnitsByTarget: Record<string, number>;
  readUnitsByOperation: Record<string, number>;
}

const sum = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);
const per = (record: Record<string, number>, n: number): Record<string, number> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value / n]));

/** Dollars per million notifications from the counts of a metered delivery run. */
export function costPerMillion(run: DeliveryRun): CostBreakdown {
  const cost = run.cost;
  if (!cost) throw new Error('the delivery run was not metered');
  const n = cost.notifications;
  const { dynamo, requests, idlePass } = cost;
  const idleShare = PASSES_PER_DAY / NOTIFICATIONS_PER_DAY_AT_10M;
  const readUnits = sum(dynamo.readUnits) / n + sum(idlePass.dynamo.readUnits) * idleShare;
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
    'idle passes (10 M users)':
      (sum(idlePass.dynamo.tableWriteUnits) + sum(idlePass.dynamo.indexWriteUnits)) * idleShare,
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
  // The scheduler runs every minute whatever is due: its share per notification at 10 M users.
  const invocations = workerInvocations + idleShare;
  const gbSeconds =
    workerInvocations * LAMBDA_GB * (run.workerBatchSeconds ?? 0) + idleShare * LAMBDA_GB * idlePass.seconds;
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
  return {
    lines,
    total: lines.reduce((total, line) => total + line.dollarsPerMillion, 0),
    writeUnitsByTarget: writeTargets,
    readUnitsByOperation: per(dynamo.readUnits, n),
  };
}
