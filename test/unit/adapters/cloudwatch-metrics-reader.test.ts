import { describe, expect, it } from 'vitest';
import { planQueries, readingsFrom, type CloudWatchNames } from '#adapters/metrics/cloudwatch-metrics-reader';
import { DASHBOARD_WIDGETS_IN_ORDER, type WidgetDefinition } from '#commons/dashboard-widgets';

const NAMES: CloudWatchNames = {
  functions: { worker: 'occasions-prod-worker', api: 'occasions-prod-api' },
  queues: { notifications: 'occasions-prod-notifications', dlq: 'occasions-prod-dlq' },
  apiName: 'Occasions-prod',
};

const failures: WidgetDefinition = {
  id: 'failures',
  title: 'Failures',
  period: 300,
  width: 8,
  metrics: [
    {
      source: 'business',
      metricName: 'FailedByReason',
      stat: 'Sum',
      label: 'failed',
      groupBy: 'FailureReason',
    },
    { source: 'business', metricName: 'Failed', stat: 'Sum', label: 'all failed' },
  ],
};
const lambdaErrors: WidgetDefinition = {
  id: 'lambda-errors',
  title: 'Lambda errors',
  period: 300,
  width: 6,
  metrics: [
    { source: 'lambda', metricName: 'Errors', stat: 'Sum', functions: ['scheduler', 'worker', 'api'] },
  ],
};

describe('CloudWatch queries for the dashboard’s widgets', () => {
  it('asks for each metric with the dimensions the dashboard uses, and a SEARCH per grouped metric', () => {
    const planned = planQueries([failures, lambdaErrors], NAMES);
    expect(planned.map((entry) => entry.query)).toEqual([
      {
        Id: 'q0',
        ReturnData: true,
        Period: 300,
        Expression: `SEARCH('{Occasions,FailureReason,service} MetricName="FailedByReason"', 'Sum', 300)`,
        // Each series labelled by its reason alone, like the local recorder's.
        Label: "${PROP('Dim.FailureReason')}",
      },
      {
        Id: 'q1',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'Occasions',
            MetricName: 'Failed',
            Dimensions: [{ Name: 'service', Value: 'occasions' }],
          },
          Period: 300,
          Stat: 'Sum',
        },
      },
      // No name for the scheduler: it is left out rather than asked for under a wrong name.
      {
        Id: 'q2',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: 'occasions-prod-worker' }],
          },
          Period: 300,
          Stat: 'Sum',
        },
      },
      {
        Id: 'q3',
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: 'occasions-prod-api' }],
          },
          Period: 300,
          Stat: 'Sum',
        },
      },
    ]);
  });

  it('covers every dashboard widget with well-formed queries within one GetMetricData call', () => {
    const widgets = DASHBOARD_WIDGETS_IN_ORDER.map((entry) => entry.widget);
    const planned = planQueries(widgets, {
      ...NAMES,
      functions: { scheduler: 's', worker: 'w', api: 'a', authorizer: 'z', replay: 'r' },
    });
    expect(new Set(planned.map((entry) => entry.widgetId))).toEqual(
      new Set(widgets.map((widget) => widget.id)),
    );
    expect(planned.length).toBeLessThanOrEqual(500);
    for (const { query } of planned) {
      expect(query.Id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
      expect(Boolean(query.MetricStat) !== Boolean(query.Expression)).toBe(true);
    }
  });

  it('regroups the results per widget: SEARCH series by their labels, pages joined, points in time order', () => {
    const planned = planQueries([failures, lambdaErrors], { ...NAMES, apiName: undefined });
    const t = (minutes: number) => new Date(Date.UTC(2027, 5, 15, 9, minutes));
    const readings = readingsFrom([failures, lambdaErrors], planned, [
      { Id: 'q0', Label: 'timeout', Timestamps: [t(5), t(0)], Values: [2, 1] },
      { Id: 'q0', Label: 'http-4xx', Timestamps: [t(0)], Values: [3] },
      { Id: 'q1', Label: 'Failed', Timestamps: [t(0)], Values: [4] },
      { Id: 'q1', Label: 'Failed', Timestamps: [t(5)], Values: [2] }, // the next page of q1
      { Id: 'q2', Label: 'Errors', Timestamps: [], Values: [] },
    ]);
    expect(readings).toEqual([
      {
        id: 'failures',
        available: true,
        series: [
          {
            label: 'failed: timeout',
            points: [
              { at: t(0).getTime(), value: 1 },
              { at: t(5).getTime(), value: 2 },
            ],
          },
          { label: 'failed: http-4xx', points: [{ at: t(0).getTime(), value: 3 }] },
          {
            label: 'all failed',
            points: [
              { at: t(0).getTime(), value: 4 },
              { at: t(5).getTime(), value: 2 },
            ],
          },
        ],
      },
      { id: 'lambda-errors', available: true, series: [{ label: 'worker', points: [] }] },
    ]);
  });

  it('marks a widget unavailable when none of its metrics can be named (API widgets without API_NAME)', () => {
    const apiWidget: WidgetDefinition = {
      id: 'api-requests',
      title: 'API',
      period: 300,
      width: 12,
      metrics: [{ source: 'api', metricName: 'Count', stat: 'Sum', label: 'requests' }],
    };
    const planned = planQueries([apiWidget], { ...NAMES, apiName: undefined });
    expect(planned).toEqual([]);
    expect(readingsFrom([apiWidget], planned, [])).toEqual([
      { id: 'api-requests', available: false, series: [] },
    ]);
  });
});
