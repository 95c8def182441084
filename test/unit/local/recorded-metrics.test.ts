import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { WidgetDefinition } from '#commons/dashboard-widgets';
import { metrics, observeMetrics, type ObservedMetric } from '#commons/powertools';
import { RecordedMetrics, type QueueDepths } from '#local/recorded-metrics';

const T0 = Date.UTC(2027, 5, 15, 9, 0, 0);
const MINUTE = 60_000;

/** A clock the test moves by hand. */
const manualClock = (start: number) => {
  let now = start;
  return {
    now: () => now,
    set: (instant: number) => {
      now = instant;
    },
  };
};

const count = (name: string, value: number, dimensions: Record<string, string> = {}): ObservedMetric => ({
  name,
  unit: MetricUnit.Count,
  value,
  dimensions,
});

const widget = (
  overrides: Partial<WidgetDefinition> & Pick<WidgetDefinition, 'metrics'>,
): WidgetDefinition => ({
  id: 'w',
  title: 'w',
  period: 60,
  width: 12,
  ...overrides,
});

describe('RecordedMetrics (the local runtime’s CloudWatch)', () => {
  it('sums a counter per minute and leaves minutes without data out', async () => {
    const clock = manualClock(T0 + 5_000);
    const recorded = new RecordedMetrics({ clock });
    recorded.record(count('Delivered', 1));
    recorded.record(count('Delivered', 1));
    clock.set(T0 + 2 * MINUTE + 1);
    recorded.record(count('Delivered', 3));

    const [reading] = await recorded.read(
      [
        widget({
          metrics: [{ source: 'business', metricName: 'Delivered', stat: 'Sum', label: 'delivered' }],
        }),
      ],
      { from: T0 - 10 * MINUTE, to: T0 + 10 * MINUTE },
    );
    expect(reading).toEqual({
      id: 'w',
      available: true,
      series: [
        {
          label: 'delivered',
          points: [
            { at: T0, value: 2 },
            { at: T0 + 2 * MINUTE, value: 3 },
          ],
        },
      ],
    });
  });

  it('folds minutes into the widget’s period and computes max, average and nearest-rank percentiles', async () => {
    const clock = manualClock(T0);
    const recorded = new RecordedMetrics({ clock });
    const values = Array.from({ length: 100 }, (_, index) => index + 1); // 1..100
    values.forEach((value, index) => {
      clock.set(T0 + (index % 5) * MINUTE); // spread over the five minutes of one 300 s period
      recorded.record({ ...count('DeliveryLatenessMs', value), unit: MetricUnit.Milliseconds });
    });
    const stats = ['p50', 'p99', 'Maximum', 'Average'] as const;
    const [reading] = await recorded.read(
      [
        widget({
          period: 300,
          metrics: stats.map((stat) => ({
            source: 'business',
            metricName: 'DeliveryLatenessMs',
            stat,
            label: stat,
          })),
        }),
      ],
      { from: T0, to: T0 + 5 * MINUTE },
    );
    expect(reading?.series.map((series) => [series.label, series.points])).toEqual([
      ['p50', [{ at: T0, value: 50 }]],
      ['p99', [{ at: T0, value: 99 }]],
      ['Maximum', [{ at: T0, value: 100 }]],
      ['Average', [{ at: T0, value: 50.5 }]],
    ]);
  });

  it('draws a grouped metric as one series per dimension value, apart from the same name without it', async () => {
    const recorded = new RecordedMetrics({ clock: manualClock(T0) });
    recorded.record(count('FailedByReason', 1, { FailureReason: 'http-4xx' }));
    recorded.record(count('FailedByReason', 2, { FailureReason: 'timeout' }));
    recorded.record(count('FailedByReason', 1, { FailureReason: 'http-4xx' }));
    recorded.record(count('Failed', 4));

    const [reading] = await recorded.read(
      [
        widget({
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
        }),
      ],
      { from: T0, to: T0 + MINUTE },
    );
    expect(reading?.series).toEqual([
      { label: 'failed: http-4xx', points: [{ at: T0, value: 2 }] },
      { label: 'failed: timeout', points: [{ at: T0, value: 2 }] },
      { label: 'all failed', points: [{ at: T0, value: 4 }] },
    ]);
  });

  it('samples queue depths at each read; Lambda and age-of-oldest widgets are unavailable locally', async () => {
    let depths: { notifications: QueueDepths; dlq: QueueDepths } = {
      notifications: { visible: 7, inFlight: 2, delayed: 1 },
      dlq: { visible: 3, inFlight: 0, delayed: 0 },
    };
    const clock = manualClock(T0);
    const recorded = new RecordedMetrics({ clock, queueDepths: () => depths });
    recorded.sampleQueues();
    depths = { ...depths, dlq: { visible: 1, inFlight: 0, delayed: 0 } };
    clock.set(T0 + 30_000);

    const readings = await recorded.read(
      [
        widget({
          id: 'dlq',
          metrics: [
            {
              source: 'sqs',
              queue: 'dlq',
              metricName: 'ApproximateNumberOfMessagesVisible',
              stat: 'Maximum',
              label: 'DLQ',
            },
          ],
        }),
        widget({
          id: 'age',
          metrics: [
            {
              source: 'sqs',
              queue: 'dlq',
              metricName: 'ApproximateAgeOfOldestMessage',
              stat: 'Maximum',
              label: 'age',
            },
          ],
        }),
        widget({
          id: 'lambda',
          metrics: [{ source: 'lambda', metricName: 'Errors', stat: 'Sum', functions: ['worker'] }],
        }),
      ],
      { from: T0, to: T0 + MINUTE },
    );
    expect(readings).toEqual([
      { id: 'dlq', available: true, series: [{ label: 'DLQ', points: [{ at: T0, value: 3 }] }] },
      { id: 'age', available: false, series: [] },
      { id: 'lambda', available: false, series: [] },
    ]);
  });

  it('forgets minutes older than a day behind the newest one', async () => {
    const clock = manualClock(T0);
    const recorded = new RecordedMetrics({ clock });
    recorded.record(count('Due', 1));
    clock.set(T0 + 25 * 60 * MINUTE);
    recorded.record(count('Due', 1));
    const [reading] = await recorded.read(
      [widget({ metrics: [{ source: 'business', metricName: 'Due', stat: 'Sum', label: 'due' }] })],
      { from: T0 - MINUTE, to: T0 + 26 * 60 * MINUTE },
    );
    expect(reading?.series[0]?.points).toEqual([{ at: T0 + 25 * 60 * MINUTE, value: 1 }]);
  });
});

describe('observeMetrics (the service’s Powertools Metrics)', () => {
  it('tells observers every metric with the dimensions added to it, also through singleMetric', () => {
    const seen: ObservedMetric[] = [];
    const stop = observeMetrics((metric) => seen.push(metric));
    try {
      metrics.addMetric('Delivered', MetricUnit.Count, 1);
      metrics
        .singleMetric()
        .addDimension('Endpoint', 'example.com')
        .addMetric('CircuitOpen', MetricUnit.Count, 1);
      metrics.addMetric('Retried', MetricUnit.Count, 2);
    } finally {
      stop();
      metrics.clearMetrics();
    }
    metrics.addMetric('Deferred', MetricUnit.Count, 1); // after unsubscribing: not seen
    metrics.clearMetrics();
    expect(seen).toEqual([
      { name: 'Delivered', unit: 'Count', value: 1, dimensions: {} },
      { name: 'CircuitOpen', unit: 'Count', value: 1, dimensions: { Endpoint: 'example.com' } },
      { name: 'Retried', unit: 'Count', value: 2, dimensions: {} },
    ]);
  });
});

describe('ObservableMetrics keeps Powertools’ own behaviour', () => {
  it('gives a single metric the default dimensions set after construction (the EMF line, in a fresh process)', () => {
    // EMF output is switched off in this process (vitest config) and Powertools reads that switch
    // at construction, so the line is checked from a child process with output on.
    const script = [
      "import { MetricUnit } from '@aws-lambda-powertools/metrics';",
      "import { metrics } from '#commons/powertools';",
      "metrics.setDefaultDimensions({ env: 'dev' });",
      "metrics.singleMetric().addDimensions({ Endpoint: 'example.com' }).addMetric('CircuitOpen', MetricUnit.Count, 1);",
    ].join('\n');
    const { POWERTOOLS_METRICS_DISABLED: _off, ...env } = process.env;
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../../..'),
      env: { ...env, POWERTOOLS_DEV: 'false' },
      encoding: 'utf8',
    });
    const emf = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => 'CircuitOpen' in line);
    expect(emf).toMatchObject({ env: 'dev', Endpoint: 'example.com', service: 'occasions', CircuitOpen: 1 });
  });

  it('observes dimensions added with addDimensions', () => {
    const seen: ObservedMetric[] = [];
    const stop = observeMetrics((metric) => seen.push(metric));
    try {
      metrics
        .singleMetric()
        .addDimensions({ Endpoint: 'example.com' })
        .addMetric('CircuitOpen', MetricUnit.Count, 1);
    } finally {
      stop();
    }
    expect(seen).toEqual([
      { name: 'CircuitOpen', unit: 'Count', value: 1, dimensions: { Endpoint: 'example.com' } },
    ]);
  });
});
