import { startOfMinute, type Clock } from '#commons/clock';
import type { WidgetDefinition } from '#commons/dashboard-widgets';
import type { MetricsReader, WidgetReading } from '#ports/metrics-reader';

const MINUTE_MS = 60_000;
/** Windows remembered at once (a few consoles on a few ranges). */
const MAX_ENTRIES = 32;

/** The reader's budget of fresh reads is spent; the caller answers 429 with `retryAfterSeconds`. */
export class MetricsReadBudgetExceeded extends Error {
  override readonly name = 'MetricsReadBudgetExceeded';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many fresh metric reads; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * GetMetricData is billed per metric asked for (the dashboard is ~46 per read), so each console
 * poll must not be a fresh read: windows are rounded to the minute (the finest period) and a read
 * is reused for `ttlMs`; identical reads in flight are joined. Fresh reads are also capped per
 * minute per container, so no key, however many windows it asks for, can run up the bill: past
 * the cap the route answers 429.
 */
export class CachingMetricsReader implements MetricsReader {
  readonly source: MetricsReader['source'];
  readonly #cache = new Map<string, { at: number; readings: Promise<WidgetReading[]> }>();
  #budget: { minute: number; used: number } = { minute: 0, used: 0 };

  constructor(
    private readonly inner: MetricsReader,
    private readonly options: { clock: Clock; ttlMs: number; freshReadsPerMinute: number },
  ) {
    this.source = inner.source;
  }

  read(widgets: readonly WidgetDefinition[], window: { from: number; to: number }): Promise<WidgetReading[]> {
    const now = this.options.clock.now();
    const rounded = { from: startOfMinute(window.from), to: startOfMinute(window.to) };
    const key = `${widgets.map((widget) => widget.id).join(',')}|${rounded.from}|${rounded.to}`;
    const cached = this.#cache.get(key);
    if (cached && now - cached.at < this.options.ttlMs) return cached.readings;

    const minute = startOfMinute(now);
    if (this.#budget.minute !== minute) this.#budget = { minute, used: 0 };
    if (this.#budget.used >= this.options.freshReadsPerMinute) {
      throw new MetricsReadBudgetExceeded(Math.max(1, Math.ceil((minute + MINUTE_MS - now) / 1000)));
    }
    this.#budget.used += 1;

    const readings = this.inner.read(widgets, rounded);
    // A failed read is not kept: the next request tries again.
    readings.catch(() => this.#cache.delete(key));
    this.#cache.delete(key);
    this.#cache.set(key, { at: now, readings });
    if (this.#cache.size > MAX_ENTRIES) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return readings;
  }
}
