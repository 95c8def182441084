import { startOfMinute, type Clock } from '#commons/clock';
import type { MetricDefinition, Statistic, WidgetDefinition } from '#commons/dashboard-widgets';
import type { ObservedMetric } from '#commons/powertools';
import type { MetricPoint, MetricSeries, MetricsReader, WidgetReading } from '#ports/metrics-reader';

const MINUTE_MS = 60_000;
/** Minutes kept behind the newest recorded one (the console asks for at most a day). */
const RETENTION_MINUTES = 24 * 60;
/** Values kept per minute for percentiles; beyond it the minute's percentiles are approximate. */
const SAMPLES_PER_MINUTE = 2_000;

/** The queue depths the local SQS server can report (it keeps no age of the oldest message). */
export interface QueueDepths {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

type SqsMetricName = Extract<MetricDefinition, { source: 'sqs' }>['metricName'];
const DEPTH_OF: Partial<Record<SqsMetricName, keyof QueueDepths>> = {
  ApproximateNumberOfMessagesVisible: 'visible',
  ApproximateNumberOfMessagesNotVisible: 'inFlight',
  ApproximateNumberOfMessagesDelayed: 'delayed',
};

/** Everything recorded for one series key in one minute. */
interface MinuteBucket {
  sum: number;
  max: number;
  count: number;
  samples: number[];
}

/**
 * The local runtime's CloudWatch: business metrics as the handlers emit them (observed through
 * `observeMetrics`) and queue depths sampled from the local SQS server, kept per minute of the
 * runtime's (simulated) clock and read back per widget with CloudWatch's statistics. Lambda and
 * API Gateway metrics have no local source: those widgets answer `available: false`.
 */
export class RecordedMetrics implements MetricsReader {
  readonly source = 'local';
  /** Series key → minute (epoch ms) → bucket. */
  readonly #series = new Map<string, Map<number, MinuteBucket>>();
  #newestMinute = 0;

  constructor(
    private readonly options: {
      clock: Clock;
      /** Current depths of the main queue and the DLQ; sampled at each read and `sampleQueues()`. */
      queueDepths?: () => { notifications: QueueDepths; dlq: QueueDepths };
    },
  ) {}

  /** Records one business metric at the clock's current minute. */
  record(metric: ObservedMetric): void {
    this.#add(businessKey(metric.name, metric.dimensions), metric.value);
  }

  /** Records the queues' depths now (the runtime calls it after each scheduler pass). */
  sampleQueues(): void {
    const depths = this.options.queueDepths?.();
    if (!depths) return;
    for (const queue of ['notifications', 'dlq'] as const) {
      for (const [metricName, field] of Object.entries(DEPTH_OF)) {
        this.#add(sqsKey(queue, metricName), depths[queue][field]);
      }
    }
  }

  read(widgets: readonly WidgetDefinition[], window: { from: number; to: number }): Promise<WidgetReading[]> {
    this.sampleQueues();
    return Promise.resolve(
      widgets.map((widget) => {
        const readable = widget.metrics.filter((definition) => this.#canMeasure(definition));
        return {
          id: widget.id,
          available: readable.length > 0,
          series: readable.flatMap((definition) => this.#seriesOf(definition, widget.period, window)),
        };
      }),
    );
  }

  #canMeasure(definition: MetricDefinition): boolean {
    if (definition.source === 'business') return true;
    if (definition.source === 'sqs')
      return this.options.queueDepths !== undefined && definition.metricName in DEPTH_OF;
    return false;
  }

  #seriesOf(
    definition: MetricDefinition,
    periodSeconds: number,
    window: { from: number; to: number },
  ): MetricSeries[] {
    const periodMs = periodSeconds * 1000;
    if (definition.source === 'sqs') {
      const key = sqsKey(definition.queue, definition.metricName);
      return [{ label: definition.label, points: this.#points(key, definition.stat, periodMs, window) }];
    }
    if (definition.source !== 'business') return [];
    if (definition.groupBy === undefined) {
      const key = businessKey(definition.metricName, {});
      return [{ label: definition.label, points: this.#points(key, definition.stat, periodMs, window) }];
    }
    // One series per value of the dimension, as CloudWatch's SEARCH returns them.
    const prefix = businessKey(definition.metricName, { [definition.groupBy]: '' });
    return [...this.#series.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .map((key) => ({
        label: `${definition.label}: ${key.slice(prefix.length)}`,
        points: this.#points(key, definition.stat, periodMs, window),
      }))
      .filter((series) => series.points.length > 0);
  }

  #points(
    key: string,
    stat: Statistic,
    periodMs: number,
    window: { from: number; to: number },
  ): MetricPoint[] {
    const minutes = this.#series.get(key);
    if (!minutes) return [];
    const periods = new Map<number, MinuteBucket[]>();
    for (const [minute, bucket] of minutes) {
      if (minute + MINUTE_MS <= window.from || minute > window.to) continue;
      const start = minute - (minute % periodMs);
      periods.set(start, [...(periods.get(start) ?? []), bucket]);
    }
    return [...periods.entries()]
      .sort(([a], [b]) => a - b)
      .map(([at, buckets]) => ({ at, value: statisticOf(stat, buckets) }));
  }

  #add(key: string, value: number): void {
    const now = this.options.clock.now();
    const minute = startOfMinute(now);
    let minutes = this.#series.get(key);
    if (!minutes) {
      minutes = new Map();
      this.#series.set(key, minutes);
    }
    const bucket = minutes.get(minute) ?? { sum: 0, max: Number.NEGATIVE_INFINITY, count: 0, samples: [] };
    bucket.sum += value;
    bucket.max = Math.max(bucket.max, value);
    bucket.count += 1;
    if (bucket.samples.length < SAMPLES_PER_MINUTE) bucket.samples.push(value);
    minutes.set(minute, bucket);
    if (minute > this.#newestMinute) {
      this.#newestMinute = minute;
      this.#forgetBefore(minute - RETENTION_MINUTES * MINUTE_MS);
    }
  }

  #forgetBefore(oldest: number): void {
    for (const [key, minutes] of this.#series) {
      for (const minute of minutes.keys()) if (minute < oldest) minutes.delete(minute);
      if (minutes.size === 0) this.#series.delete(key);
    }
  }
}

/** `name` plus the caller's dimensions in a fixed order: one key per CloudWatch metric. */
function businessKey(name: string, dimensions: Readonly<Record<string, string>>): string {
  const parts = Object.keys(dimensions)
    .sort()
    .map((dimension) => `${dimension}=${dimensions[dimension] ?? ''}`);
  return ['business', name, ...parts].join('|');
}

const sqsKey = (queue: string, metricName: string): string => `sqs|${queue}|${metricName}`;

/** CloudWatch's statistic over a period's minutes; percentiles by nearest rank over the samples. */
function statisticOf(stat: Statistic, buckets: readonly MinuteBucket[]): number {
  const sum = buckets.reduce((total, bucket) => total + bucket.sum, 0);
  const count = buckets.reduce((total, bucket) => total + bucket.count, 0);
  switch (stat) {
    case 'Sum':
      return sum;
    case 'Maximum':
      return Math.max(...buckets.map((bucket) => bucket.max));
    case 'Average':
      return sum / count;
    case 'p50':
    case 'p99': {
      const samples = buckets.flatMap((bucket) => bucket.samples).sort((a, b) => a - b);
      const rank = Math.ceil((stat === 'p50' ? 0.5 : 0.99) * samples.length);
      return samples[Math.max(0, rank - 1)] ?? 0;
    }
  }
}
