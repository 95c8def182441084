import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './constructs/service-function';

/** Business metrics the functions emit (Powertools Metrics, namespace `Occasions`). */
export const BUSINESS_METRICS = {
  /** The happy path: these three lines should track each other. */
  flow: ['Due', 'Enqueued', 'Delivered'],
  /** Everything that left the happy path. */
  exceptions: ['Failed', 'Retried', 'Deferred', 'Cancelled', 'Skipped'],
  latencies: ['DeliveryLatenessMs', 'SchedulerLagMs'],
} as const;

export interface MonitoringProps {
  readonly envName: string;
  /** Every alarm notifies this topic when it fires and when it recovers. */
  readonly alarmTopic: sns.ITopic;
  readonly scheduler: lambda.IFunction;
  readonly worker: lambda.IFunction;
  readonly api: lambda.IFunction;
  readonly authorizer: lambda.IFunction;
  readonly restApi: apigateway.RestApi;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Alarm when the oldest message on the notifications queue is older than this. */
  readonly oldestMessageAge: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/**
 * The on-call view of Occasions: one dashboard ("Occasions on-call") and the alarms that page,
 * all routed to the alarm topic. Alarms watch symptoms that need a human: a non-empty DLQ,
 * notifications stuck in the queue, a scheduler that stopped ticking or keeps failing, worker
 * errors and throttles, and API 5xx.
 *
 * @example
 * new Monitoring(this, 'Monitoring', { envName: 'dev', alarmTopic, scheduler, worker, ... });
 */
export class Monitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const alarmAction = new actions.SnsAction(props.alarmTopic);
    const alarm = (
      alarmId: string,
      description: string,
      options: cloudwatch.CreateAlarmOptions & { metric: cloudwatch.IMetric },
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `Occasions-${props.envName}-${alarmId}`,
        alarmDescription: description,
        ...options,
      });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      this.alarms.push(created);
      return created;
    };

    alarm('DeadLetterQueueNotEmpty', 'Notifications reached the DLQ: inspect, fix, then replay them.', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ONE_MINUTE,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm(
      'NotificationsQueueOldestMessageAge',
      `A notification has waited more than ${props.oldestMessageAge.toHumanString()} on the queue: worker stuck, throttled or failing.`,
      {
        metric: props.queue.metricApproximateAgeOfOldestMessage({
          period: ONE_MINUTE,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: props.oldestMessageAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    alarm(
      'SchedulerNotInvoked',
      'The every-minute scheduler has not run for 5 minutes: nothing becomes due.',
      {
        metric: props.scheduler.metricInvocations({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No datapoint at all means the rule or the function is gone: that is the failure itself.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    alarm(
      'SchedulerErrors',
      'The scheduler failed in 3 of the last 5 runs: due work is not being enqueued.',
      {
        metric: props.scheduler.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    alarm(
      'WorkerErrors',
      'Worker invocations fail as a whole (not single records): deliveries are delayed.',
      {
        metric: props.worker.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    alarm('WorkerThrottles', 'The worker is throttled: the account or function concurrency is exhausted.', {
      metric: props.worker.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('Api5xx', 'The admin API answers with 5xx errors.', {
      metric: props.restApi.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names allow only letters, digits, "-" and "_"; the title is the text widget.
      dashboardName: `Occasions-on-call-${props.envName}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# Occasions on-call (${props.envName})\n` +
          'Due → Enqueued → Delivered should track each other. A non-empty DLQ or a growing queue age ' +
          'needs a human; runbook: docs/deploy.md.',
        width: 12,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 4 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Notifications: due → enqueued → delivered (per 5 min)',
        BUSINESS_METRICS.flow.map((name) => businessMetric(name, 'Sum', 'SUM')),
        12,
      ),
      graph(
        'Off the happy path (per 5 min)',
        BUSINESS_METRICS.exceptions.map((name) => businessMetric(name, 'Sum', 'SUM')),
        12,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Delivery lateness (ms, p50 / p99)',
        [
          businessMetric('DeliveryLatenessMs', 'p50', undefined, 'p50 '),
          businessMetric('DeliveryLatenessMs', 'p99', undefined, 'p99 '),
        ],
        12,
      ),
      graph('Scheduler lag (ms, max)', [businessMetric('SchedulerLagMs', 'Maximum', 'MAX')], 12),
    );
    this.dashboard.addWidgets(
      graph('Notifications queue', [
        props.queue.metricApproximateNumberOfMessagesVisible({ label: 'visible', statistic: 'Maximum' }),
        props.queue.metricApproximateNumberOfMessagesNotVisible({ label: 'in flight', statistic: 'Maximum' }),
      ]),
      graph('Oldest message age (s)', [
        props.queue.metricApproximateAgeOfOldestMessage({ label: 'queue', statistic: 'Maximum' }),
        props.deadLetterQueue.metricApproximateAgeOfOldestMessage({ label: 'DLQ', statistic: 'Maximum' }),
      ]),
      graph('Dead-letter queue', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          label: 'visible',
          statistic: 'Maximum',
        }),
      ]),
    );
    const functions = {
      scheduler: props.scheduler,
      worker: props.worker,
      api: props.api,
      authorizer: props.authorizer,
    };
    this.dashboard.addWidgets(
      graph(
        'Invocations',
        Object.entries(functions).map(([name, fn]) =>
          fn.metricInvocations({ label: name, period: FIVE_MINUTES }),
        ),
        6,
      ),
      graph(
        'Errors and throttles',
        [
          ...Object.entries(functions).map(([name, fn]) =>
            fn.metricErrors({ label: `${name} errors`, period: FIVE_MINUTES }),
          ),
          props.worker.metricThrottles({ label: 'worker throttles', period: FIVE_MINUTES }),
        ],
        6,
      ),
      graph(
        'Duration p99 (ms)',
        Object.entries(functions).map(([name, fn]) => fn.metricDuration({ label: name, statistic: 'p99' })),
        6,
      ),
      graph(
        'Worker concurrency',
        [
          props.worker.metric('ConcurrentExecutions', {
            label: 'concurrent executions',
            statistic: 'Maximum',
          }),
        ],
        6,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'API requests',
        [
          props.restApi.metricCount({ label: 'requests', period: FIVE_MINUTES }),
          props.restApi.metricClientError({ label: '4xx', period: FIVE_MINUTES }),
          props.restApi.metricServerError({ label: '5xx', period: FIVE_MINUTES }),
        ],
        12,
      ),
      graph(
        'API latency p99 (ms)',
        [
          props.restApi.metricLatency({ label: 'latency', statistic: 'p99' }),
          props.restApi.metricIntegrationLatency({ label: 'integration', statistic: 'p99' }),
        ],
        12,
      ),
    );
  }
}

function graph(title: string, left: cloudwatch.IMetric[], width = 8): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width, height: 6 });
}

/**
 * A business metric across whatever dimensions the code adds (Powertools always adds `service`):
 * SEARCH finds every series of that name in the namespace, the aggregate folds them into one line.
 */
function businessMetric(
  name: string,
  statistic: string,
  aggregate: 'SUM' | 'MAX' | undefined,
  labelPrefix = '',
): cloudwatch.IMetric {
  const search = `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${name}"', '${statistic}', 300)`;
  return new cloudwatch.MathExpression({
    expression: aggregate === undefined ? search : `${aggregate}(${search})`,
    usingMetrics: {},
    label: `${labelPrefix}${name}`,
    period: FIVE_MINUTES,
  });
}
