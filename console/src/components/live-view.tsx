import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors';
import type { Circuit, MetricsAnswer, MetricsWidget } from '../api/types';
import { useConsole } from '../context';
import { formatInstant, formatNumber } from '../format';
import { usePolling } from '../hooks/use-polling';
import { LineChart, latestOf } from './line-chart';
import { CircuitStateBadge } from './status-badge';

/** How often the live view polls (while the tab is visible). */
const POLL_MS = 15_000;
const WINDOW_MINUTES = 60;

type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; message: string };

/**
 * Live: the dashboard's widgets (GET /v1/metrics, the same definitions as the CloudWatch
 * dashboard, functions/commons/dashboard-widgets.ts) and every endpoint's circuit, polled every 15 s.
 */
export function LiveView() {
  const { api, fail } = useConsole();
  const [metrics, setMetrics] = useState<Loaded<MetricsAnswer>>({ state: 'loading' });
  const [circuits, setCircuits] = useState<Loaded<Circuit[]>>({ state: 'loading' });
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>(undefined);

  const load = async (): Promise<void> => {
    await Promise.all([
      api
        .get<MetricsAnswer>('/v1/metrics', { minutes: String(WINDOW_MINUTES) })
        .then((value) => {
          setMetrics({ state: 'ok', value });
        })
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) fail(error, 'Loading metrics');
          setMetrics({
            state: 'error',
            message:
              error instanceof ApiError && error.status === 404
                ? 'This API has no metrics endpoint yet (GET /v1/metrics answered 404).'
                : describeError(error),
          });
        }),
      api
        .get<{ items: Circuit[] }>('/v1/circuits')
        .then(({ items }) => {
          setCircuits({ state: 'ok', value: items });
        })
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) fail(error, 'Loading circuits');
          setCircuits({ state: 'error', message: describeError(error) });
        }),
    ]);
    setUpdatedAt(new Date());
  };
  usePolling(load, POLL_MS);

  return (
    <>
      <p class="refresh-note">
        {metrics.state === 'ok' ? `Up to ${formatInstant(metrics.value.to)} on the service’s clock. ` : ''}
        {updatedAt ? `Fetched at ${updatedAt.toLocaleTimeString('en-GB')} (your clock)` : 'Loading…'};
        refreshed every {POLL_MS / 1000} s while this tab is visible.{' '}
        <button type="button" onClick={() => void load()}>
          Refresh now
        </button>
      </p>
      <section aria-labelledby="summary-title">
        <h2 id="summary-title">Now</h2>
        <Summary metrics={metrics.state === 'ok' ? metrics.value : undefined} circuits={circuits} />
      </section>
      <section aria-labelledby="widgets-title">
        <h2 id="widgets-title">
          Dashboard{' '}
          {metrics.state === 'ok' ? (
            <span class="subtle">
              (last {WINDOW_MINUTES} min, source: {metrics.value.source})
            </span>
          ) : null}
        </h2>
        {metrics.state === 'loading' ? <p>Loading metrics…</p> : null}
        {metrics.state === 'error' ? <p class="inline-error">{metrics.message}</p> : null}
        {metrics.state === 'ok' ? <Widgets answer={metrics.value} /> : null}
      </section>
    </>
  );
}

/**
 * A tile's figure: the newest point of a widget's series (as the dashboard definitions name
 * them). `count`: a per-period count, so no point in the last two periods means none happened
 * (0); otherwise a sample (a depth, a percentile), shown however old, and `—` when there is none.
 */
function figureOf(
  answer: MetricsAnswer | undefined,
  widgetId: string,
  label: string,
  kind: 'count' | 'sample',
): string {
  const widget = answer?.widgets.find((candidate) => candidate.id === widgetId);
  if (!answer || !widget?.available) return '—';
  const series = widget.series.find((candidate) => candidate.label === label);
  const newest = series?.points.reduce((a, b) => (b.t > a.t ? b : a), { t: '', v: 0 });
  if (kind === 'count') {
    const recent = newest && Date.parse(newest.t) >= Date.parse(answer.to) - 2 * widget.period * 1000;
    return formatNumber(recent ? newest.v : 0);
  }
  const value = latestOf(series);
  return value === undefined ? '—' : formatNumber(value);
}

function Summary({ metrics, circuits }: { metrics: MetricsAnswer | undefined; circuits: Loaded<Circuit[]> }) {
  const count = (widgetId: string, label: string): string => figureOf(metrics, widgetId, label, 'count');
  const latest = (widgetId: string, label: string): string => figureOf(metrics, widgetId, label, 'sample');
  const open = circuits.state === 'ok' ? circuits.value.filter((circuit) => circuit.state !== 'closed') : [];
  return (
    <>
      <dl class="tiles">
        <Tile term="Due (last minute)" value={count('flow', 'Due')} />
        <Tile term="Delivered (last minute)" value={count('flow', 'Delivered')} />
        <Tile term="Failed (last 5 min)" value={count('failures', 'all failed')} />
        <Tile term="Lateness p99" value={withUnit(latest('lateness', 'lateness p99'), 'ms')} />
        <Tile term="Queue visible" value={latest('queue', 'visible')} />
        <Tile term="DLQ depth" value={latest('dlq', 'DLQ visible')} />
        <Tile
          term="Circuits not closed"
          value={circuits.state === 'ok' ? String(open.length) : circuits.state === 'error' ? '?' : '—'}
        />
      </dl>
      <h3>Circuits</h3>
      {circuits.state === 'error' ? <p class="inline-error">{circuits.message}</p> : null}
      {circuits.state === 'ok' && circuits.value.length === 0 ? (
        <p>No endpoint has tripped: every circuit is closed.</p>
      ) : null}
      {circuits.state === 'ok' && circuits.value.length > 0 ? (
        <ul class="circuit-list">
          {circuits.value.map((circuit) => (
            <li key={circuit.endpoint}>
              <code>{circuit.endpoint}</code> <CircuitStateBadge state={circuit.state} />
              {circuit.state === 'closed' ? null : ` until ${formatInstant(circuit.openUntil)}`}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

const withUnit = (value: string, unit: string): string => (value === '—' ? value : `${value} ${unit}`);

function Tile({ term, value }: { term: string; value: string }) {
  return (
    <div class="tile">
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** The widgets in the dashboard's rows, each as wide as on the CloudWatch dashboard (of 24). */
function Widgets({ answer }: { answer: MetricsAnswer }) {
  const rows = new Map<number, MetricsWidget[]>();
  for (const widget of answer.widgets) rows.set(widget.row, [...(rows.get(widget.row) ?? []), widget]);
  return (
    <div class="widgets">
      {[...rows.entries()]
        .sort(([a], [b]) => a - b)
        .map(([row, widgets]) => (
          <div class="widget-row" key={row}>
            {widgets.map((widget) => (
              <figure
                class={`widget span-${Math.min(24, Math.max(1, Math.round(widget.width)))}`}
                key={widget.id}
                aria-labelledby={`widget-${widget.id}`}
              >
                <figcaption id={`widget-${widget.id}`}>
                  {widget.title}
                  {widget.unit ? <span class="subtle"> ({widget.unit})</span> : null}
                  <span class="subtle"> · per {periodOf(widget.period)}</span>
                </figcaption>
                {widget.available ? (
                  <LineChart
                    title={widget.title}
                    width={widget.width}
                    {...(widget.unit === undefined ? {} : { unit: widget.unit })}
                    from={answer.from}
                    to={answer.to}
                    series={widget.series}
                  />
                ) : (
                  <p class="unavailable">
                    Not measured by this runtime ({answer.source}); see the CloudWatch dashboard in AWS.
                  </p>
                )}
              </figure>
            ))}
          </div>
        ))}
    </div>
  );
}

const periodOf = (seconds: number): string =>
  seconds % 60 === 0 ? (seconds === 60 ? 'minute' : `${seconds / 60} min`) : `${seconds} s`;
