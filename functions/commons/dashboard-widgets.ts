/**
 * The "Occasions on-call" dashboard as plain data: what each graph shows, not how CDK draws it.
 * `lib/monitoring.ts` turns these into CloudWatch widgets; the admin API's `GET /v1/metrics`
 * reads the same definitions (GetMetricData in AWS, the local runtime's recorder under
 * `npm start`) and the console at `/console` draws them. No CDK import here, on purpose: the
 * API Lambda bundles this file.
 *
 * Business metrics are the ones `functions/commons/powertools.ts` names (namespace `Occasions`,
 * dimension `service` = `occasions`, which Powertools adds to every metric).
 *
 * @example
 * for (const widget of DASHBOARD_WIDGETS.flat()) console.log(widget.title, widget.metrics.length);
 */

/** The functions of the stateless stack, by role. */
export const FUNCTION_ROLES = ['scheduler', 'worker', 'api', 'authorizer', 'replay'] as const;
export type FunctionRole = (typeof FUNCTION_ROLES)[number];

/** A CloudWatch statistic: `Sum`, `Maximum`, `Average`, `p50`, `p99`. */
export type Statistic = 'Sum' | 'Maximum' | 'Average' | 'p50' | 'p99';

export type MetricDefinition =
  /** Namespace `Occasions`, dimension `service`; `groupBy` draws one line per value of that dimension. */
  | {
      readonly source: 'business';
      readonly metricName: string;
      readonly stat: Statistic;
      readonly label: string;
      readonly groupBy?: 'FailureReason' | 'Endpoint';
    }
  /** `AWS/Lambda` by FunctionName: one line per function of `functions`. */
  | {
      readonly source: 'lambda';
      readonly metricName: 'Errors' | 'Throttles' | 'Duration' | 'ConcurrentExecutions' | 'Invocations';
      readonly stat: Statistic;
      readonly functions: readonly FunctionRole[];
    }
  /** `AWS/SQS` by QueueName. */
  | {
      readonly source: 'sqs';
      readonly queue: 'notifications' | 'dlq';
      readonly metricName:
        | 'ApproximateNumberOfMessagesVisible'
        | 'ApproximateNumberOfMessagesNotVisible'
        | 'ApproximateNumberOfMessagesDelayed'
        | 'ApproximateAgeOfOldestMessage';
      readonly stat: Statistic;
      readonly label: string;
    }
  /** `AWS/ApiGateway` by ApiName (the admin API). */
  | {
      readonly source: 'api';
      readonly metricName: 'Count' | '4XXError' | '5XXError' | 'Latency' | 'IntegrationLatency';
      readonly stat: Statistic;
      readonly label: string;
    };

/** A business metric drawn as one line per value of a dimension. */
export type GroupedBusinessMetric = Extract<MetricDefinition, { source: 'business' }> & {
  readonly groupBy: 'FailureReason' | 'Endpoint';
};

/**
 * The CloudWatch search for a grouped business metric: one series per dimension value, values
 * unknown at synth time. The dashboard (CDK) and GetMetricData (the API) use the same string.
 */
export const groupedSearchExpression = (
  definition: GroupedBusinessMetric,
  namespace: string,
  periodSeconds: number,
): string =>
  `SEARCH('{${namespace},${definition.groupBy},service} ` +
  `MetricName="${definition.metricName}"', '${definition.stat}', ${periodSeconds})`;

export interface WidgetDefinition {
  /** Stable key: runbook sections and the console refer to widgets by it. */
  readonly id: string;
  readonly title: string;
  /** Seconds per datapoint. */
  readonly period: number;
  /** Grid units of 24 per row. */
  readonly width: number;
  readonly unit?: string;
  readonly metrics: readonly MetricDefinition[];
}

export const DASHBOARD_TITLE = 'Occasions on-call';

const MINUTE = 60;
const FIVE_MINUTES = 300;
const business = (
  metricName: string,
  stat: Statistic,
  label: string = metricName,
  groupBy?: 'FailureReason' | 'Endpoint',
): MetricDefinition => ({ source: 'business', metricName, stat, label, ...(groupBy ? { groupBy } : {}) });
const lambda = (
  metricName: Extract<MetricDefinition, { source: 'lambda' }>['metricName'],
  stat: Statistic,
): MetricDefinition => ({ source: 'lambda', metricName, stat, functions: FUNCTION_ROLES });

/** Rows of graphs, top to bottom. */
export const DASHBOARD_WIDGETS: readonly (readonly WidgetDefinition[])[] = [
  [
    {
      id: 'flow',
      title: 'Due vs enqueued vs delivered vs failed (per minute)',
      period: MINUTE,
      width: 12,
      unit: 'notifications',
      metrics: [
        business('Due', 'Sum'),
        business('Enqueued', 'Sum'),
        business('Delivered', 'Sum'),
        business('Failed', 'Sum'),
      ],
    },
    {
      id: 'lateness',
      title: 'Delivery lateness p50 / p99 (ms after the due instant)',
      period: FIVE_MINUTES,
      width: 12,
      unit: 'ms',
      metrics: [
        business('DeliveryLatenessMs', 'p50', 'lateness p50'),
        business('DeliveryLatenessMs', 'p99', 'lateness p99'),
      ],
    },
  ],
  [
    {
      id: 'failures',
      title: 'Failures by reason (to the DLQ)',
      period: FIVE_MINUTES,
      width: 8,
      metrics: [
        business('FailedByReason', 'Sum', 'failed', 'FailureReason'),
        business('Failed', 'Sum', 'all failed'),
      ],
    },
    {
      id: 'retries',
      title: 'Retries and deferrals',
      period: FIVE_MINUTES,
      width: 8,
      metrics: [
        business('Retried', 'Sum', 'retry scheduled'),
        business('Deferred', 'Sum', 'deferred (429, circuit open, not yet, leased)'),
        business('ShortCircuited', 'Sum', 'short-circuited (circuit open)'),
        business('Cancelled', 'Sum', 'cancelled (stale)'),
        business('Skipped', 'Sum', 'skipped (too late)'),
      ],
    },
    {
      id: 'circuits',
      title: 'Circuit state per endpoint (1 open, 0.5 half-open, 0 closed; at each change)',
      period: MINUTE,
      width: 8,
      metrics: [business('CircuitOpen', 'Maximum', 'circuit', 'Endpoint')],
    },
  ],
  [
    {
      id: 'queue',
      title: 'Notifications queue depth',
      period: MINUTE,
      width: 6,
      unit: 'messages',
      metrics: [
        {
          source: 'sqs',
          queue: 'notifications',
          metricName: 'ApproximateNumberOfMessagesVisible',
          stat: 'Maximum',
          label: 'visible',
        },
        {
          source: 'sqs',
          queue: 'notifications',
          metricName: 'ApproximateNumberOfMessagesNotVisible',
          stat: 'Maximum',
          label: 'in flight',
        },
        {
          source: 'sqs',
          queue: 'notifications',
          metricName: 'ApproximateNumberOfMessagesDelayed',
          stat: 'Maximum',
          label: 'delayed (retries, deferrals)',
        },
      ],
    },
    {
      id: 'queue-age',
      title: 'Oldest message age (s)',
      period: MINUTE,
      width: 6,
      unit: 's',
      metrics: [
        {
          source: 'sqs',
          queue: 'notifications',
          metricName: 'ApproximateAgeOfOldestMessage',
          stat: 'Maximum',
          label: 'notifications queue',
        },
        {
          source: 'sqs',
          queue: 'dlq',
          metricName: 'ApproximateAgeOfOldestMessage',
          stat: 'Maximum',
          label: 'DLQ',
        },
      ],
    },
    {
      id: 'dlq',
      title: 'DLQ depth',
      period: MINUTE,
      width: 6,
      unit: 'messages',
      metrics: [
        {
          source: 'sqs',
          queue: 'dlq',
          metricName: 'ApproximateNumberOfMessagesVisible',
          stat: 'Maximum',
          label: 'DLQ visible',
        },
      ],
    },
    {
      id: 'scheduler-lag',
      title: 'Scheduler lag: watermark age at the start of each pass (ms)',
      period: MINUTE,
      width: 6,
      unit: 'ms',
      metrics: [business('SchedulerLagMs', 'Maximum', 'lag (max)')],
    },
  ],
  [
    {
      id: 'lambda-errors',
      title: 'Lambda errors',
      period: FIVE_MINUTES,
      width: 6,
      metrics: [lambda('Errors', 'Sum')],
    },
    {
      id: 'lambda-throttles',
      title: 'Lambda throttles',
      period: FIVE_MINUTES,
      width: 6,
      metrics: [lambda('Throttles', 'Sum')],
    },
    {
      id: 'lambda-duration',
      title: 'Lambda duration p99 (ms)',
      period: FIVE_MINUTES,
      width: 6,
      unit: 'ms',
      metrics: [lambda('Duration', 'p99')],
    },
    {
      id: 'lambda-concurrency',
      title: 'Lambda concurrency (max)',
      period: MINUTE,
      width: 6,
      metrics: [lambda('ConcurrentExecutions', 'Maximum')],
    },
  ],
  [
    {
      id: 'api-requests',
      title: 'Admin API requests, 4xx and 5xx',
      period: FIVE_MINUTES,
      width: 12,
      metrics: [
        { source: 'api', metricName: 'Count', stat: 'Sum', label: 'requests' },
        { source: 'api', metricName: '4XXError', stat: 'Sum', label: '4xx' },
        { source: 'api', metricName: '5XXError', stat: 'Sum', label: '5xx' },
      ],
    },
    {
      id: 'api-latency',
      title: 'Admin API latency (ms)',
      period: FIVE_MINUTES,
      width: 12,
      unit: 'ms',
      metrics: [
        { source: 'api', metricName: 'Latency', stat: 'p50', label: 'latency p50' },
        { source: 'api', metricName: 'Latency', stat: 'p99', label: 'latency p99' },
        { source: 'api', metricName: 'IntegrationLatency', stat: 'p99', label: 'integration p99' },
      ],
    },
  ],
];

/** Every widget in reading order (row by row), with the index of its row. */
export const DASHBOARD_WIDGETS_IN_ORDER: readonly {
  readonly row: number;
  readonly widget: WidgetDefinition;
}[] = DASHBOARD_WIDGETS.flatMap((widgets, row) => widgets.map((widget) => ({ row, widget })));
