import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import {
  groupedSearchExpression,
  type FunctionRole,
  type MetricDefinition,
  type WidgetDefinition,
} from '#commons/dashboard-widgets';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#commons/powertools';
import type { MetricSeries, MetricsReader, WidgetReading } from '#ports/metrics-reader';

/** The deployed names each metric's dimensions point at (from the API function's environment). */
export interface CloudWatchNames {
  /** FunctionName per role; a role left out is not drawn. */
  readonly functions: Partial<Record<FunctionRole, string>>;
  readonly queues: { readonly notifications: string; readonly dlq: string };
  /** The REST API's name (`ApiName` dimension); API widgets are unavailable without it. */
  readonly apiName?: string;
}

/** GetMetricData takes at most 500 queries per call; the dashboard has about 30. */
const MAX_QUERIES_PER_CALL = 500;

/** One query and what it draws: a widget's series, labelled (a SEARCH labels each of its series). */
interface PlannedQuery {
  readonly query: MetricDataQuery;
  readonly widgetId: string;
  /** For a SEARCH, the prefix of each series' label (CloudWatch labels them by dimension value). */
  readonly label: string;
  readonly grouped: boolean;
}

/**
 * The dashboard's widgets read from CloudWatch with GetMetricData: the same definitions, the same
 * statistics and periods, the same SEARCH for per-reason and per-endpoint lines as the CDK
 * dashboard (`lib/monitoring.ts`), so the console and CloudWatch show the same figures.
 */
export class CloudWatchMetricsReader implements MetricsReader {
  readonly source = 'cloudwatch';

  constructor(private readonly options: { client: CloudWatchClient; names: CloudWatchNames }) {}

  async read(
    widgets: readonly WidgetDefinition[],
    window: { from: number; to: number },
  ): Promise<WidgetReading[]> {
    const planned = planQueries(widgets, this.options.names);
    const results: MetricDataResult[] = [];
    for (let start = 0; start < planned.length; start += MAX_QUERIES_PER_CALL) {
      const batch = planned.slice(start, start + MAX_QUERIES_PER_CALL).map((entry) => entry.query);
      let nextToken: string | undefined;
      do {
        const answer = await this.options.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: batch,
            StartTime: new Date(window.from),
            EndTime: new Date(window.to),
            ScanBy: 'TimestampAscending',
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        results.push(...(answer.MetricDataResults ?? []));
        nextToken = answer.NextToken;
      } while (nextToken);
    }
    return readingsFrom(widgets, planned, results);
  }
}

/** Every query the widgets need, with ids `q0`, `q1`… (ids must start with a lowercase letter). */
export function planQueries(widgets: readonly WidgetDefinition[], names: CloudWatchNames): PlannedQuery[] {
  const planned: PlannedQuery[] = [];
  for (const widget of widgets) {
    for (const definition of widget.metrics) {
      for (const { query, label, grouped } of queriesOf(definition, widget.period, names)) {
        planned.push({
          query: { ...query, Id: `q${planned.length}`, ReturnData: true },
          widgetId: widget.id,
          label,
          grouped,
        });
      }
    }
  }
  return planned;
}

type QueryWithoutId = Omit<MetricDataQuery, 'Id'>;

function queriesOf(
  definition: MetricDefinition,
  period: number,
  names: CloudWatchNames,
): { query: QueryWithoutId; label: string; grouped: boolean }[] {
  const stat = (
    namespace: string,
    metricName: string,
    dimensions: Record<string, string>,
  ): QueryWithoutId => ({
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: definition.stat,
    },
  });
  switch (definition.source) {
    case 'business':
      if (definition.groupBy === undefined) {
        return [
          {
            query: stat(METRICS_NAMESPACE, definition.metricName, { service: SERVICE_NAME }),
            label: definition.label,
            grouped: false,
          },
        ];
      }
      return [
        {
          query: {
            Expression: groupedSearchExpression(
              { ...definition, groupBy: definition.groupBy },
              METRICS_NAMESPACE,
              period,
            ),
            Period: period,
            // Each series labelled by its dimension value alone, as the local recorder labels them.
            Label: `\${PROP('Dim.${definition.groupBy}')}`,
          },
          label: definition.label,
          grouped: true,
        },
      ];
    case 'lambda':
      return definition.functions.flatMap((role) => {
        const functionName = names.functions[role];
        return functionName
          ? [
              {
                query: stat('AWS/Lambda', definition.metricName, { FunctionName: functionName }),
                label: role,
                grouped: false,
              },
            ]
          : [];
      });
    case 'sqs':
      return [
        {
          query: stat('AWS/SQS', definition.metricName, { QueueName: names.queues[definition.queue] }),
          label: definition.label,
          grouped: false,
        },
      ];
    case 'api':
      return names.apiName
        ? [
            {
              query: stat('AWS/ApiGateway', definition.metricName, { ApiName: names.apiName }),
              label: definition.label,
              grouped: false,
            },
          ]
        : [];
  }
}

/** GetMetricData's results regrouped per widget, in the widgets' order. */
export function readingsFrom(
  widgets: readonly WidgetDefinition[],
  planned: readonly PlannedQuery[],
  results: readonly MetricDataResult[],
): WidgetReading[] {
  const byId = new Map(planned.map((entry) => [entry.query.Id, entry]));
  const seriesOf = new Map<string, Map<string, MetricSeries>>();
  for (const result of results) {
    const entry = byId.get(result.Id);
    if (!entry) continue;
    const label = entry.grouped && result.Label ? `${entry.label}: ${result.Label}` : entry.label;
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    const points = timestamps.map((timestamp, index) => ({
      at: timestamp.getTime(),
      value: values[index] ?? 0,
    }));
    const widgetSeries = seriesOf.get(entry.widgetId) ?? new Map<string, MetricSeries>();
    // Pages of one query continue the same series.
    const earlier = widgetSeries.get(label);
    widgetSeries.set(label, { label, points: [...(earlier?.points ?? []), ...points] });
    seriesOf.set(entry.widgetId, widgetSeries);
  }
  const plannedWidgets = new Set(planned.map((entry) => entry.widgetId));
  return widgets.map((widget) => ({
    id: widget.id,
    available: plannedWidgets.has(widget.id),
    series: [...(seriesOf.get(widget.id)?.values() ?? [])].map((series) => ({
      label: series.label,
      points: [...series.points].sort((a, b) => a.at - b.at),
    })),
  }));
}
