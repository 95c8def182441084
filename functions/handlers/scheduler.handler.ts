import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logKeysOf } from '#ports/notification-queue';
import { logger, MetricName, metrics, tracer } from '#commons/powertools';
import type { PassResult, ScheduleDueOccurrences } from '#use-cases/schedule-due.use-case';
import { awsScheduler } from './aws-pipeline';

/** Stop taking new due items when the invocation has less than this left. */
const STOP_MARGIN_MS = 15_000;

/** The scheduler: one pass per EventBridge tick (every minute in AWS, TICK_SECONDS locally). */
export function createSchedulerHandler(scheduler: () => Promise<ScheduleDueOccurrences>) {
  return middy(async (_event: ScheduledEvent, context: Context): Promise<PassResult> => {
    const result = await (
      await scheduler()
    ).run({
      shouldStop: () => context.getRemainingTimeInMillis() < STOP_MARGIN_MS,
      // One line per occurrence: its id and the x-request-id that scheduled it find every step.
      onEnqueued: (message) => {
        logger.info('occurrence enqueued', logKeysOf(message));
      },
    });
    metrics.addMetric(MetricName.Due, MetricUnit.Count, result.due);
    metrics.addMetric(MetricName.Enqueued, MetricUnit.Count, result.enqueued);
    metrics.addMetric(MetricName.Skipped, MetricUnit.Count, result.skipped);
    metrics.addMetric(MetricName.SchedulerLagMs, MetricUnit.Milliseconds, result.lagMs);
    logger.info('scheduler pass', { ...result, watermark: new Date(result.watermark).toISOString() });
    return result;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createSchedulerHandler(awsScheduler);
