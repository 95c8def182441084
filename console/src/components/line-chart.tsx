import { useId } from 'preact/hooks';
import type { MetricSeries } from '../api/types';
import { formatClock, formatInstant, formatNumber } from '../format';

/*
 * A small line chart in plain SVG (no chart library). Series differ by colour and by dash
 * pattern (styles.css, .series-N), so they can be told apart without colour; the legend shows
 * each series' latest value, and a table beside the chart holds every point for screen readers
 * and for copying.
 */

/** Drawing units per grid column: a chart's text keeps about the same size in narrow and wide widgets. */
const UNITS_PER_COLUMN = 40;
const HEIGHT = 170;
const PAD = { left: 48, right: 10, top: 10, bottom: 24 } as const;
const PLOT_HEIGHT = HEIGHT - PAD.top - PAD.bottom;
/** Distinct styles in styles.css; series beyond repeat them. */
export const SERIES_STYLES = 6;

export function LineChart(props: {
  title: string;
  unit?: string;
  /** Grid columns (of 24) the widget spans. */
  width: number;
  from: string;
  to: string;
  series: MetricSeries[];
}) {
  const id = useId();
  const width = Math.max(6, props.width) * UNITS_PER_COLUMN;
  const plotWidth = width - PAD.left - PAD.right;
  const from = Date.parse(props.from);
  const to = Math.max(Date.parse(props.to), from + 1);
  const values = props.series.flatMap((series) => series.points.map((point) => point.v));
  const max = niceCeiling(Math.max(0, ...values));
  const x = (iso: string): number => PAD.left + ((Date.parse(iso) - from) / (to - from)) * plotWidth;
  const y = (value: number): number => PAD.top + PLOT_HEIGHT - (value / max) * PLOT_HEIGHT;
  const middle = new Date((from + to) / 2).toISOString();
  const hasData = values.length > 0;

  return (
    <div class="chart">
      <svg
        viewBox={`0 0 ${width} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        class="chart-svg"
      >
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{describe(props)}</desc>
        {[0, max / 2, max].map((tick) => (
          <g key={tick} class="grid">
            <line x1={PAD.left} x2={width - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text x={PAD.left - 6} y={y(tick) + 4} text-anchor="end">
              {formatNumber(tick)}
            </text>
          </g>
        ))}
        {[props.from, middle, props.to].map((tick, index) => (
          <text
            key={tick}
            class="axis-label"
            x={x(tick)}
            y={HEIGHT - 6}
            text-anchor={index === 0 ? 'start' : index === 2 ? 'end' : 'middle'}
          >
            {formatClock(tick)}
          </text>
        ))}
        {props.series.map((series, index) => {
          const points = [...series.points].sort((a, b) => a.t.localeCompare(b.t));
          const styleClass = `series series-${index % SERIES_STYLES}`;
          const first = points[0];
          if (points.length === 1 && first) {
            return <circle key={series.label} class={styleClass} cx={x(first.t)} cy={y(first.v)} r={3} />;
          }
          const path = points
            .map((point, at) => `${at === 0 ? 'M' : 'L'}${x(point.t).toFixed(1)},${y(point.v).toFixed(1)}`)
            .join(' ');
          return <path key={series.label} class={styleClass} d={path} />;
        })}
        {!hasData ? (
          <text
            class="no-data"
            x={PAD.left + plotWidth / 2}
            y={PAD.top + PLOT_HEIGHT / 2}
            text-anchor="middle"
          >
            No data in this window
          </text>
        ) : null}
      </svg>
      <Legend series={props.series} />
      <details class="data-table">
        <summary>Data table</summary>
        <DataTable {...props} />
      </details>
    </div>
  );
}

/** The caption above names the unit; the legend gives each series' latest value. */
function Legend({ series }: { series: MetricSeries[] }) {
  return (
    <ul class="legend">
      {series.map((line, index) => {
        const latest = latestOf(line);
        return (
          <li key={line.label}>
            <svg class="swatch" viewBox="0 0 24 8" aria-hidden="true">
              <line class={`series series-${index % SERIES_STYLES}`} x1={0} x2={24} y1={4} y2={4} />
            </svg>
            {line.label}: <strong>{latest === undefined ? 'no data' : formatNumber(latest)}</strong>
          </li>
        );
      })}
    </ul>
  );
}

function DataTable(props: { title: string; unit?: string; series: MetricSeries[] }) {
  const times = [...new Set(props.series.flatMap((series) => series.points.map((point) => point.t)))].sort();
  const valueAt = (series: MetricSeries, t: string): string => {
    const point = series.points.find((candidate) => candidate.t === t);
    return point === undefined ? '—' : formatNumber(point.v);
  };
  if (times.length === 0) return <p>No data in this window.</p>;
  return (
    <div class="table-scroll">
      <table>
        <caption>
          {props.title}
          {props.unit ? ` (${props.unit})` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {props.series.map((series) => (
              <th scope="col" key={series.label}>
                {series.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {times.map((t) => (
            <tr key={t}>
              <th scope="row">{formatInstant(t)}</th>
              {props.series.map((series) => (
                <td key={series.label} class="number">
                  {valueAt(series, t)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The value of a series' newest point. */
export function latestOf(series: MetricSeries | undefined): number | undefined {
  if (!series || series.points.length === 0) return undefined;
  return series.points.reduce((newest, point) => (point.t > newest.t ? point : newest)).v;
}

function describe(props: { unit?: string; from: string; to: string; series: MetricSeries[] }): string {
  const window = `From ${formatInstant(props.from)} to ${formatInstant(props.to)}.`;
  if (props.series.length === 0) return `${window} No series.`;
  const lines = props.series.map((series) => {
    const latest = latestOf(series);
    return latest === undefined
      ? `${series.label}: no data`
      : `${series.label}: latest ${formatNumber(latest)}`;
  });
  return `${window} ${lines.join('; ')}${props.unit ? ` (${props.unit})` : ''}. The data table below has every point.`;
}

/** The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`: round axis labels. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}
