import type { Clock } from '#commons/clock';
import { DASHBOARD_WIDGETS_IN_ORDER } from '#commons/dashboard-widgets';
import { MetricsReadBudgetExceeded } from '#adapters/metrics/caching-metrics-reader';
import type { MetricsReader } from '#ports/metrics-reader';
import { json, parseQuery } from '../http';
import { ProblemError, problem } from '../problem';
import type { Route } from '../router';
import { DEFAULT_METRICS_MINUTES, MetricsQuerySchema, MetricsSchema } from '../schemas/metrics.schema';

export const METRICS_PATH = '/v1/metrics';
const MINUTE_MS = 60_000;

/**
 * `GET /v1/metrics`: the on-call dashboard's series (functions/commons/dashboard-widgets.ts),
 * every widget in dashboard order, for the console and for scripts. The same definitions drive
 * the CloudWatch dashboard, so both show the same figures.
 */
export function metricsRoutes(reader: MetricsReader, clock: Clock): Route[] {
  return [
    {
      method: 'GET',
      path: METRICS_PATH,
      doc: {
        summary: 'Read the dashboard’s metrics',
        description:
          'Every widget of the on-call dashboard with its series over the window: due, enqueued, delivered and failed per minute, lateness, failures by reason, retries, circuits, queue and DLQ depth, Lambda and API figures. Locally, widgets without a local source answer `available: false`. In AWS the window is rounded to the minute and a reading is reused for a minute (CloudWatch bills every metric read); too many fresh windows in a minute answer 429.',
        tag: 'metrics',
        query: MetricsQuerySchema,
        responses: { 200: { description: 'The widgets, in dashboard order', schema: MetricsSchema } },
        errors: [400, 429],
      },
      handler: async ({ event }) => {
        const query = parseQuery(event, MetricsQuerySchema);
        const to = query.to ?? clock.now();
        const from = to - (query.minutes ?? DEFAULT_METRICS_MINUTES) * MINUTE_MS;
        const widgets = DASHBOARD_WIDGETS_IN_ORDER.map((entry) => entry.widget);
        const readings = await reader.read(widgets, { from, to }).catch((error: unknown) => {
          if (!(error instanceof MetricsReadBudgetExceeded)) throw error;
          throw new ProblemError(
            problem(
              'too-many-requests',
              `Metrics are read from CloudWatch at most a few times a minute; retry in ${error.retryAfterSeconds} s.`,
            ),
            { 'retry-after': String(error.retryAfterSeconds) },
          );
        });
        return json(200, {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          source: reader.source,
          widgets: DASHBOARD_WIDGETS_IN_ORDER.map(({ row, widget }, index) => ({
            id: widget.id,
            title: widget.title,
            ...(widget.unit ? { unit: widget.unit } : {}),
            period: widget.period,
            width: widget.width,
            row,
            available: readings[index]?.available ?? false,
            series: (readings[index]?.series ?? []).map((series) => ({
              label: series.label,
              points: series.points.map((point) => ({ t: new Date(point.at).toISOString(), v: point.value })),
            })),
          })),
        });
      },
    },
  ];
}
