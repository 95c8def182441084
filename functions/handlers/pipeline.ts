import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '#commons/clock';
import { logger } from '#commons/powertools';
import type { PipelineConfig } from '#commons/pipeline-config';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { SharedCircuitBreaker } from '#adapters/circuit/shared-circuit-breaker';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoDueIndex, DynamoWatermarkStore } from '#adapters/dynamodb/dynamo-scheduler-state';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { HttpWebhookSender } from '#adapters/webhook/http-webhook-sender';
import type { CircuitTransition } from '#ports/circuit-breaker';
import type { EventPublisher } from '#ports/event-publisher';
import { DeliverOccurrence } from '#use-cases/deliver-occurrence.use-case';
import { ScheduleDueOccurrences, type SchedulerSettings } from '#use-cases/schedule-due.use-case';

export interface PipelineClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
}

export interface Pipeline {
  scheduler: ScheduleDueOccurrences;
  deliver: DeliverOccurrence;
  publisher: EventPublisher;
  /** Stops the breaker's timers (local runtime shutdown). */
  shutdown(): void;
}

/**
 * The composition root of the scheduler and the worker: the same wiring in AWS (system clock,
 * real endpoints) and in the local runtime (simulated clock, local stand-ins).
 */
export function buildPipeline(options: {
  clients: PipelineClients;
  config: PipelineConfig & { webhookSecretValue: string };
  clock: Clock;
  schedulerSettings?: Partial<SchedulerSettings>;
}): Pipeline {
  const { clients, config, clock } = options;
  const table = { client: clients.dynamo, tableName: config.tableName };
  const users = new DynamoUserRepository({ ...table, dueShards: config.dueShards });
  const occurrences = new DynamoOccurrenceRepository(table);
  const queue = new SqsNotificationQueue({
    client: clients.sqs,
    queueUrl: config.queueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
  });
  const publisher = new EventBridgePublisher({
    client: clients.eventBridge,
    eventBusName: config.eventBusName,
  });
  const breaker = new SharedCircuitBreaker({
    store: new DynamoCircuitStateStore(table),
    clock,
    onTransition: (transition) => {
      publishCircuitTransition(publisher, transition);
    },
    logger: {
      warn: (message: string, extra?: object) => {
        logger.warn(message, { ...extra });
      },
    },
  });
  const scheduler = new ScheduleDueOccurrences({
    clock,
    dueIndex: new DynamoDueIndex({ ...table, shards: config.dueShards }),
    watermarks: new DynamoWatermarkStore(table),
    users,
    occurrences,
    queue,
    events: publisher,
    settings: { maxLatenessMs: config.maxLatenessMs, ...options.schedulerSettings },
  });
  const deliver = new DeliverOccurrence({
    clock,
    users,
    occurrences,
    queue,
    sender: new HttpWebhookSender({ clock }),
    breaker,
    settings: {
      webhookUrl: config.webhookUrl,
      webhookSecret: config.webhookSecretValue,
      webhookTimeoutMs: config.webhookTimeoutMs,
      minimumAttemptMs: 1_000,
      retryPolicy: config.retryPolicy,
      leaseMarginMs: 30_000,
    },
  });
  return {
    scheduler,
    deliver,
    publisher,
    shutdown: () => {
      breaker.shutdown();
    },
  };
}

/** Circuit changes are rare and worth an event each; a failure to publish must not block delivery. */
function publishCircuitTransition(publisher: EventPublisher, transition: CircuitTransition): void {
  logger.warn('circuit state changed', { ...transition });
  const type =
    transition.to === 'open' ? 'CircuitOpened' : transition.to === 'closed' ? 'CircuitClosed' : undefined;
  if (!type) return;
  publisher.publish([{ type, at: transition.at, detail: { ...transition } }]).catch((error: unknown) => {
    logger.error('could not publish the circuit transition', { error });
  });
}
