import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Dimensions, MetricsOptions, MetricUnit } from '@aws-lambda-powertools/metrics/types';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One Logger, Metrics and Tracer for the whole service (STYLE 6). Handlers add them through
 * middy in the order tracer → logger → metrics and append their business keys (occurrence id,
 * user id, request id) so one id finds every line.
 *
 * Outside Lambda (local runtime, tests) the Tracer disables itself; metrics go to stdout as EMF
 * unless POWERTOOLS_METRICS_DISABLED is set.
 */
export const SERVICE_NAME = 'occasions';
export const METRICS_NAMESPACE = 'Occasions';

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** One business metric as a handler emitted it: what the local runtime's console graphs. */
export interface ObservedMetric {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
  /** Dimensions added by the caller (Powertools' own `service` is left out). */
  readonly dimensions: Readonly<Record<string, string>>;
}
export type MetricObserver = (metric: ObservedMetric) => void;

const observers = new Set<MetricObserver>();
/** Dimensions added to each instance since its last flush (a WeakMap: `super()` calls overrides). */
const addedDimensions = new WeakMap<Metrics, Record<string, string>>();
/** Default dimensions set on each instance after construction (`logMetrics(…, { defaultDimensions })`). */
const defaultDimensions = new WeakMap<Metrics, Record<string, string>>();

/**
 * Powertools' Metrics, telling observers about every metric as it is added. In Lambda nobody
 * observes (CloudWatch reads the EMF lines); the local runtime observes to serve the dashboard's
 * series at `GET /v1/metrics`, with no CloudWatch to ask. Observers see metrics even when EMF
 * output is disabled (tests).
 */
class ObservableMetrics extends Metrics {
  readonly #options: MetricsOptions;

  constructor(options: MetricsOptions) {
    super(options);
    this.#options = options;
  }

  override addDimension(name: string, value: string): this {
    addedDimensions.set(this, { ...addedDimensions.get(this), [name]: value });
    return super.addDimension(name, value);
  }

  override addDimensions(dimensions: Dimensions): this {
    addedDimensions.set(this, { ...addedDimensions.get(this), ...dimensions });
    return super.addDimensions(dimensions);
  }

  override setDefaultDimensions(dimensions: Dimensions): this {
    defaultDimensions.set(this, { ...defaultDimensions.get(this), ...dimensions });
    return super.setDefaultDimensions(dimensions);
  }

  override clearDefaultDimensions(): void {
    defaultDimensions.delete(this);
    super.clearDefaultDimensions();
  }

  override clearDimensions(): void {
    addedDimensions.delete(this);
    super.clearDimensions();
  }

  override addMetric(name: string, unit: MetricUnit, value: number): this {
    if (observers.size > 0) {
      const metric: ObservedMetric = { name, unit, value, dimensions: { ...addedDimensions.get(this) } };
      for (const observe of observers) observe(metric);
    }
    return super.addMetric(name, unit, value);
  }

  override singleMetric(): Metrics {
    // As Powertools' own: the current default dimensions (set after construction too) carry over.
    return new ObservableMetrics({
      ...this.#options,
      defaultDimensions: { ...this.#options.defaultDimensions, ...defaultDimensions.get(this) },
      singleMetric: true,
    });
  }
}

/** Calls `observer` with every business metric from now on; returns the unsubscribe. */
export function observeMetrics(observer: MetricObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

export const metrics: Metrics = new ObservableMetrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
});
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/** Business metric names; the dashboard and alarms (lib/) refer to the same names. */
export const MetricName = {
  Due: 'Due',
  Enqueued: 'Enqueued',
  Delivered: 'Delivered',
  Failed: 'Failed',
  Retried: 'Retried',
  Deferred: 'Deferred',
  Cancelled: 'Cancelled',
  Skipped: 'Skipped',
  DeliveryLatenessMs: 'DeliveryLatenessMs',
  SchedulerLagMs: 'SchedulerLagMs',
  /** `Failed` again, with dimension `FailureReason` (a small closed set), for the dashboard. */
  FailedByReason: 'FailedByReason',
  /** Deliveries not attempted because the endpoint's circuit was open (alarm: open too long). */
  ShortCircuited: 'ShortCircuited',
  /** Per `Endpoint`, at each circuit transition: 1 open, 0.5 half-open, 0 closed. */
  CircuitOpen: 'CircuitOpen',
} as const;

/** Dimensions some business metrics carry besides Powertools' `service`. */
export const MetricDimension = {
  FailureReason: 'FailureReason',
  Endpoint: 'Endpoint',
} as const;
