import { describe, expect, it } from 'vitest';
import { CachingMetricsReader, MetricsReadBudgetExceeded } from '#adapters/metrics/caching-metrics-reader';
import { ManualClock } from '#commons/clock';
import { DASHBOARD_WIDGETS_IN_ORDER } from '#commons/dashboard-widgets';
import type { MetricsReader } from '#ports/metrics-reader';
import { RecordedMetrics } from '#local/recorded-metrics';

const T0 = Date.UTC(2027, 5, 15, 9, 0, 0);
const WIDGETS = DASHBOARD_WIDGETS_IN_ORDER.map((entry) => entry.widget);
const HOUR = 3_600_000;

/** A real reader that counts its reads: the stand-in for GetMetricData calls. */
function countingReader(clock: ManualClock): MetricsReader & { reads: { from: number; to: number }[] } {
  const inner = new RecordedMetrics({ clock });
  const reads: { from: number; to: number }[] = [];
  return {
    source: 'cloudwatch',
    reads,
    read: (widgets, window) => {
      reads.push(window);
      return inner.read(widgets, window);
    },
  };
}

describe('CachingMetricsReader (each console poll is not a billed GetMetricData)', () => {
  it('rounds windows to the minute and reuses a reading for the TTL', async () => {
    const clock = new ManualClock(T0 + 5_000);
    const inner = countingReader(clock);
    const reader = new CachingMetricsReader(inner, { clock, ttlMs: 60_000, freshReadsPerMinute: 12 });

    await reader.read(WIDGETS, { from: T0 + 5_000 - HOUR, to: T0 + 5_000 });
    clock.set(T0 + 20_000); // a poll 15 s later, same minute
    await reader.read(WIDGETS, { from: T0 + 20_000 - HOUR, to: T0 + 20_000 });
    expect(inner.reads).toEqual([{ from: T0 - HOUR, to: T0 }]);

    clock.set(T0 + 66_000); // past the TTL and into the next minute
    await reader.read(WIDGETS, { from: T0 + 66_000 - HOUR, to: T0 + 66_000 });
    expect(inner.reads).toHaveLength(2);
    expect(reader.source).toBe('cloudwatch');
  });

  it('caps fresh reads per minute: past the cap it says when to retry, and the next minute reads again', async () => {
    const clock = new ManualClock(T0 + 45_000);
    const inner = countingReader(clock);
    const reader = new CachingMetricsReader(inner, { clock, ttlMs: 60_000, freshReadsPerMinute: 2 });
    const window = (minutes: number) => ({ from: T0 - minutes * 60_000, to: T0 });

    await reader.read(WIDGETS, window(10));
    await reader.read(WIDGETS, window(20));
    await reader.read(WIDGETS, window(10)); // cached: not a fresh read
    let refused: unknown;
    try {
      await reader.read(WIDGETS, window(30));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(MetricsReadBudgetExceeded);
    expect((refused as MetricsReadBudgetExceeded).retryAfterSeconds).toBe(15);
    expect(inner.reads).toHaveLength(2);

    clock.set(T0 + 61_000);
    await reader.read(WIDGETS, window(30));
    expect(inner.reads).toHaveLength(3);
  });

  it('does not keep a failed read', async () => {
    const clock = new ManualClock(T0);
    let calls = 0;
    const failingOnce: MetricsReader = {
      source: 'cloudwatch',
      read: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('throttled')) : Promise.resolve([]);
      },
    };
    const reader = new CachingMetricsReader(failingOnce, { clock, ttlMs: 60_000, freshReadsPerMinute: 12 });
    await expect(reader.read(WIDGETS, { from: T0 - HOUR, to: T0 })).rejects.toThrow('throttled');
    await expect(reader.read(WIDGETS, { from: T0 - HOUR, to: T0 })).resolves.toEqual([]);
    expect(calls).toBe(2);
  });
});
