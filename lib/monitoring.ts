import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './constructs/service-function';
import {
  DASHBOARD_TITLE,
  DASHBOARD_WIDGETS,
  FUNCTION_ROLES,
  groupedSearchExpression,
  type FunctionRole,
  type MetricDefinition,
  type WidgetDefinition,
} from '../functions/commons/dashboard-widgets';

/**
 * `critical`: notifications are late or lost now; page whoever is on call. `warning`: degraded or
 * needs a look within working hours. The severity is part of each alarm's name and description,
 * so routing rules on the SNS topic (or a pager) can tell them apart.
 */
export type Severity = 'critical' | 'warning';

export interface MonitoringProps {
  readonly envName: string;
  /** Every alarm notifies this topic when it fires and when it recovers. */
  readonly alarmTopic: sns.ITopic;
  /** The functions by role: each gets its error and throttle alarms and dashboard lines. */
  readonly functions: Readonly<Record<FunctionRole, lambda.IFunction>>;
  readonly restApi: apigateway.RestApi;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The `service` dimension Powertools puts on every business metric. */
  readonly serviceName: string;
  /** Published docs/runbook.md; each alarm links to `<runbookUrl>#<alarm id in lower case>`. */
  readonly runbookUrl: string;
  /** Alarm when the oldest message on the notifications queue is older than this. */
  readonly oldestMessageAge: Duration;
  /** Alarm when the scheduler's watermark is older than this at the start of a pass. */
  readonly schedulerLag: Duration;
  /** Alarm when more than this share (%) of finished deliveries failed in 15 minutes. */
  readonly failureRatePercent: number;
  /** Alarm when deliveries are short-circuited by an open circuit for this long (multiple of 5 min). */
  readonly circuitOpenFor: Duration;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

interface AlarmSpec extends cloudwatch.CreateAlarmOptions {
  readonly metric: cloudwatch.IMetric;
  readonly severity: Severity;
  /** One sentence: what it means for the service. The runbook says the rest. */
  readonly summary: string;
}

/** Lambda errors and throttles: who pages, and from how many in five minutes. */
const FUNCTION_ALARMS: Readonly<
  Record<FunctionRole, { errors: { severity: Severity; threshold: number; why: string } }>
> = {
  scheduler: {
    errors: { severity: 'critical', threshold: 3, why: 'scheduler passes fail: due work is not enqueued' },
  },
  worker: {
    errors: {
      severity: 'critical',
      threshold: 5,
      why: 'worker invocations fail as a whole (not single records): deliveries are delayed',
    },
  },
  api: { errors: { severity: 'warning', threshold: 3, why: 'the admin API function crashes or times out' } },
  authorizer: {
    errors: {
      severity: 'warning',
      // A rejected key is a function error too (the authorizer throws "Unauthorized" for the
      // 401), so only a stream well above typing mistakes is worth a look.
      threshold: 50,
      why: 'the authorizer fails or rejects many keys (someone guessing keys, or a broken key secret)',
    },
  },
  replay: { errors: { severity: 'warning', threshold: 1, why: 'replay jobs fail' } },
};

/**
 * The on-call view of Occasions: the dashboard "Occasions on-call" (drawn from the plain-data
 * definitions in `functions/commons/dashboard-widgets.ts`) and the alarms, each named
 * `Occasions-<env>-<severity>-<Id>`, each with a runbook link, all sending ALARM and OK to the
 * alarm topic.
 *
 * @example
 * new Monitoring(this, 'Monitoring', { envName: 'dev', alarmTopic, functions, restApi, ... });
 */
export class Monitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly props: MonitoringProps;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    const circuitPeriods = props.circuitOpenFor.toMinutes() / 5;
    if (!Number.isInteger(circuitPeriods) || circuitPeriods < 1) {
      throw new Error('circuitOpenFor must be a positive multiple of 5 minutes');
    }

    this.alarm('DeadLetterQueueNotEmpty', {
      severity: 'warning',
      summary: 'Notifications reached the DLQ (failed permanently or unreadable): inspect, fix, redrive.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ONE_MINUTE,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // SQS publishes queue metrics every minute even when empty; no data means no queue to watch.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm('OldestMessageTooOld', {
      severity: 'critical',
      summary: `A notification has waited more than ${props.oldestMessageAge.toHumanString()} on the queue: the worker is stuck, throttled or failing.`,
      metric: props.queue.metricApproximateAgeOfOldestMessage({
        period: ONE_MINUTE,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: props.oldestMessageAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm('SchedulerNotRunning', {
      severity: 'critical',
      summary: 'The every-minute scheduler has not run for 5 minutes: nothing becomes due.',
      metric: props.functions.scheduler.metricInvocations({
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // Lambda publishes no Invocations datapoint when nothing invokes the function: the absence
      // of data is the failure itself (rule disabled or deleted, function gone).
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm('SchedulerLagging', {
      severity: 'critical',
      summary: `Scheduler passes start more than ${props.schedulerLag.toHumanString()} behind their watermark: due notifications go out late.`,
      metric: this.businessMetric('SchedulerLagMs', cloudwatch.Stats.MAXIMUM, ONE_MINUTE),
      threshold: props.schedulerLag.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No pass, no lag datapoint: SchedulerNotRunning and SchedulerErrors cover that case.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm('CircuitOpenTooLong', {
      severity: 'warning',
      summary: `Deliveries have been held back by an open circuit for ${props.circuitOpenFor.toHumanString()}: a receiver is down.`,
      metric: this.businessMetric('ShortCircuited', cloudwatch.Stats.SUM, FIVE_MINUTES),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: circuitPeriods,
      datapointsToAlarm: circuitPeriods,
      // While the circuit is open and work is pending, messages come back every reset timeout
      // (1 minute) and are short-circuited again; no datapoint means nothing is held back.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const window = Duration.minutes(15);
    this.alarm('DeliveryFailureRate', {
      severity: 'critical',
      summary: `More than ${props.failureRatePercent} % of finished deliveries failed permanently in 15 minutes.`,
      metric: new cloudwatch.MathExpression({
        // Below 5 finished deliveries a rate means little: report 0 rather than page on 1 of 2.
        expression: 'IF((delivered + failed) >= 5, 100 * failed / (delivered + failed), 0)',
        usingMetrics: {
          delivered: this.businessMetric('Delivered', cloudwatch.Stats.SUM, window),
          failed: this.businessMetric('Failed', cloudwatch.Stats.SUM, window),
        },
        label: 'failed %',
        period: window,
      }),
      threshold: props.failureRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No finished delivery in the window: nothing failed.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const role of FUNCTION_ROLES) {
      const fn = props.functions[role];
      const name = role.charAt(0).toUpperCase() + role.slice(1);
      const { errors } = FUNCTION_ALARMS[role];
      this.alarm(`${name}Errors`, {
        severity: errors.severity,
        summary: `${name} Lambda errors (≥ ${errors.threshold} in 5 minutes): ${errors.why}.`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: errors.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarm(`${name}Throttles`, {
        severity: 'warning',
        summary: `${name} Lambda invocations are throttled: account or function concurrency is exhausted.`,
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarm('Api5xx', {
      severity: 'warning',
      summary: 'The admin API answers 5xx (a bug, the authorizer failing, or a dependency down).',
      metric: props.restApi.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = this.createDashboard();
  }

  private alarm(alarmId: string, spec: AlarmSpec): cloudwatch.Alarm {
    const { severity, summary, metric, ...options } = spec;
    const action = new actions.SnsAction(this.props.alarmTopic);
    const created = new cloudwatch.Alarm(this, alarmId, {
      ...options,
      metric,
      alarmName: `Occasions-${this.props.envName}-${severity}-${alarmId}`,
      alarmDescription: `${severity.toUpperCase()}: ${summary} Runbook: ${this.props.runbookUrl}#${alarmId.toLowerCase()}`,
    });
    created.addAlarmAction(action);
    created.addOkAction(action);
    this.alarms.push(created);
    return created;
  }

  /** A business metric exactly as Powertools emits it: namespace Occasions, dimension service. */
  private businessMetric(metricName: string, statistic: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: this.props.serviceName },
      statistic,
      period,
    });
  }

  private createDashboard(): cloudwatch.Dashboard {
    const { envName, runbookUrl } = this.props;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names allow only letters, digits, "-" and "_"; the title is the text widget.
      dashboardName: `Occasions-on-call-${envName}`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# ${DASHBOARD_TITLE} (${envName})\n` +
          'Due → Enqueued → Delivered should track each other. Every alarm has a section in the ' +
          `[runbook](${runbookUrl}) with the widget to look at, Logs Insights queries and the admin API calls.`,
        width: 12,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms (critical and warning)',
        alarms: this.alarms,
        width: 12,
        height: 4,
      }),
    );
    for (const row of DASHBOARD_WIDGETS) {
      dashboard.addWidgets(...row.map((widget) => this.graph(widget)));
    }
    return dashboard;
  }

  private graph(widget: WidgetDefinition): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({
      title: widget.title,
      width: widget.width,
      height: 6,
      period: Duration.seconds(widget.period),
      ...(widget.unit ? { leftYAxis: { label: widget.unit, showUnits: false } } : {}),
      left: widget.metrics.flatMap((metric) => this.metricsOf(metric, Duration.seconds(widget.period))),
    });
  }

  private metricsOf(definition: MetricDefinition, period: Duration): cloudwatch.IMetric[] {
    const { props } = this;
    switch (definition.source) {
      case 'business':
        if (definition.groupBy === undefined) {
          return [
            this.businessMetric(definition.metricName, definition.stat, period).with({
              label: definition.label,
            }),
          ];
        }
        // One line per dimension value (reasons, endpoints) without knowing them at synth time.
        return [
          new cloudwatch.SearchExpression({
            expression: groupedSearchExpression(
              { ...definition, groupBy: definition.groupBy },
              METRICS_NAMESPACE,
              period.toSeconds(),
            ),
            label: definition.label,
            period,
          }),
        ];
      case 'lambda':
        return definition.functions.map((role) =>
          props.functions[role].metric(definition.metricName, {
            statistic: definition.stat,
            label: role,
            period,
          }),
        );
      case 'sqs': {
        const queue = definition.queue === 'dlq' ? props.deadLetterQueue : props.queue;
        return [
          queue.metric(definition.metricName, {
            statistic: definition.stat,
            label: definition.label,
            period,
          }),
        ];
      }
      case 'api':
        return [
          props.restApi.metric(definition.metricName, {
            statistic: definition.stat,
            label: definition.label,
            period,
          }),
        ];
    }
  }
}
