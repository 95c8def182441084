import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, MetricDimension, MetricName, metrics, tracer } from '#commons/powertools';
import { parseNotificationMessage } from '#adapters/sqs/sqs-notification-queue';
import type { DomainEvent } from '#ports/event-publisher';
import { logKeysOf } from '#ports/notification-queue';
import type { DeliveryResult } from '#use-cases/deliver-occurrence.use-case';
import { awsWorker } from './aws-pipeline';
import type { Worker } from './pipeline';

/**
 * The worker: an SQS batch in, a partial batch response out (only records that must come back
 * through SQS are reported). Domain events of the whole batch go to EventBridge together.
 */
export function createWorkerHandler(
  worker: () => Promise<Worker>,
  hooks: {
    /** Hears what became of each message (the local runtime's drain counts deliveries by it). */
    onResult?: (result: DeliveryResult) => void;
  } = {},
) {
  return middy(
    async (
      event: SQSEvent,
      context: Context,
      options?: { signal?: AbortSignal },
    ): Promise<SQSBatchResponse> => {
      const { deliver, publisher } = await worker();
      const events: DomainEvent[] = [];
      const handleRecord = async (record: SQSRecord): Promise<void> => {
        const message = parseNotificationMessage(record.body);
        if (!message) {
          // Not ours: let SQS's redrive move it to the DLQ after maxReceiveCount.
          logger.error('unreadable message', { messageId: record.messageId });
          throw new Error('unreadable message');
        }
        const keys = { ...logKeysOf(message), messageId: record.messageId };
        try {
          const result = await deliver.handle(message, {
            remainingTimeMs: () => context.getRemainingTimeInMillis(),
            ...(options?.signal ? { signal: options.signal } : {}),
            emit: (domainEvent) => events.push(domainEvent),
          });
          recordMetrics(result);
          hooks.onResult?.(result);
          logger.info('delivery', { ...keys, result });
        } catch (error) {
          logger.warn('delivery will be tried again through the queue', { ...keys, error });
          throw error;
        }
      };
      // A processor per invocation: it keeps per-batch state, and invocations may overlap locally.
      const response = await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
        context,
        // A batch whose every record must come back is still an answer, not an invocation
        // error: SQS redelivers the same way, and the error alarms stay for real failures.
        throwOnFullBatchFailure: false,
      });
      await publishEvents(publisher, events);
      return response;
    },
  )
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

function recordMetrics(result: DeliveryResult): void {
  switch (result.kind) {
    case 'delivered':
      metrics.addMetric(MetricName.Delivered, MetricUnit.Count, 1);
      metrics.addMetric(MetricName.DeliveryLatenessMs, MetricUnit.Milliseconds, result.latenessMs);
      return;
    case 'failed':
      metrics.addMetric(MetricName.Failed, MetricUnit.Count, 1);
      metrics
        .singleMetric()
        .addDimension(MetricDimension.FailureReason, failureReasonOf(result.reason))
        .addMetric(MetricName.FailedByReason, MetricUnit.Count, 1);
      return;
    case 'retry-scheduled':
      metrics.addMetric(MetricName.Retried, MetricUnit.Count, 1);
      return;
    case 'deferred':
      metrics.addMetric(MetricName.Deferred, MetricUnit.Count, 1);
      if (result.reason === 'circuit-open') metrics.addMetric(MetricName.ShortCircuited, MetricUnit.Count, 1);
      return;
    case 'cancelled':
      metrics.addMetric(MetricName.Cancelled, MetricUnit.Count, 1);
      return;
    case 'ignored':
      return;
  }
}

/**
 * A closed set for the `FailureReason` dimension (free text would make one metric per message):
 * the receiver refused it (`http-4xx`), or it kept failing until the retry schedule ran out.
 */
function failureReasonOf(reason: string): 'http-4xx' | 'retries-exhausted' | 'other' {
  if (/^HTTP 4\d\d\b/.test(reason)) return 'http-4xx';
  if (reason.startsWith('retries exhausted')) return 'retries-exhausted';
  return 'other';
}

/** Domain events are facts already stored; failing to publish them must not re-send webhooks. */
async function publishEvents(publisher: Worker['publisher'], events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await publisher.publish(events);
  } catch (error) {
    logger.error('could not publish domain events', { error, count: events.length });
  }
}

export const handler = createWorkerHandler(awsWorker);
