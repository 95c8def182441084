import type { WidgetDefinition } from '#commons/dashboard-widgets';

/** One value of a series: the start of its period (epoch ms) and the statistic over it. */
export interface MetricPoint {
  readonly at: number;
  readonly value: number;
}

export interface MetricSeries {
  readonly label: string;
  /** Oldest first; periods without data are left out, as CloudWatch does. */
  readonly points: readonly MetricPoint[];
}

/** One dashboard widget's series over a window. */
export interface WidgetReading {
  readonly id: string;
  /** False when this source cannot measure any of the widget's metrics (e.g. Lambda locally). */
  readonly available: boolean;
  readonly series: readonly MetricSeries[];
}

/**
 * Where the dashboard's series come from: CloudWatch in AWS, the local runtime's recorder under
 * `npm start`. Both answer for the same widget definitions (functions/commons/dashboard-widgets.ts).
 */
export interface MetricsReader {
  readonly source: 'local' | 'cloudwatch';
  /** Each widget's series between `from` and `to` (epoch ms), in the order given. */
  read(widgets: readonly WidgetDefinition[], window: { from: number; to: number }): Promise<WidgetReading[]>;
}
