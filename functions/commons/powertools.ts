import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
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
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
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
