import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '#commons/clock';
import { logger } from '#commons/powertools';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { SharedCircuitBreaker } from '#adapters/circuit/shared-circuit-breaker';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoDueIndex, DynamoWatermarkStore } from '#adapters/dynamodb/dynamo-scheduler-state';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { HttpWebhookSender } from '#adapters/webhook/http-webhook-sender';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy, type RetryPolicy } from '#domain/retry-policy';
import type { CircuitTransition } from '#ports/circuit-breaker';
import type { EventPublisher } from '#ports/event-publisher';
import { DeliverOccurrence } from '#use-cases/deliver-occurrence.use-case';
import { ScheduleDueOccurrences, type SchedulerSettings } from '#use-cases/schedule-due.use-case';

export interface PipelineClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
}

interface Common {
  clients: PipelineClients;
  clock: Clock;
  tableName: string;
  dueShards: number;
  queueUrl: string;
  eventBusName: string;
}

/**
 * The composition roots of the scheduler and the worker: the same wiring in AWS (system clock,
 * real endpoints) and in the local runtime (simulated clock, local stand-ins).
 */
export function buildScheduler(
  options: Common & { maxLatenessMs: number; settings?: Partial<SchedulerSettings> },
): ScheduleDueOccurrences {
  const table = { client: options.clients.dynamo, tableName: options.tableName };
  return new ScheduleDueOccurrences({
    clock: options.clock,
    dueIndex: new DynamoDueIndex({ ...table, shards: options.dueShards }),
    watermarks: new DynamoWatermarkStore(table),
    users: new DynamoUserRepository({ ...table, dueShards: options.dueShards }),
    occurrences: new DynamoOccurrenceRepository({ ...table, watchShards: options.dueShards }),
    queue: new SqsNotificationQueue({ client: options.clients.sqs, queueUrl: options.queueUrl }),
    events: new EventBridgePublisher({
      client: options.clients.eventBridge,
      eventBusName: options.eventBusName,
    }),
    settings: { maxLatenessMs: options.maxLatenessMs, ...options.settings },
  });
}

export interface Worker {
  deliver: DeliverOccurrence;
  publisher: EventPublisher;
  /** Stops the breaker's timers (local runtime shutdown). */
  shutdown(): void;
}

export function buildWorker(
  options: Common & {
    deadLetterQueueUrl: string;
    webhookUrl: string;
    webhookSecret: string;
    webhookTimeoutMs: number;
    retryPolicy?: RetryPolicy;
    /** Clock ms per real ms; only the local runtime runs its clock faster. */
    timeScale?: number;
  },
): Worker {
  const { clients, clock } = options;
  const retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const problems = validateRetryPolicy(retryPolicy);
  if (problems.length > 0) throw new Error(`invalid retry policy: ${problems.join('; ')}`);
  const table = { client: clients.dynamo, tableName: options.tableName };
  const publisher = new EventBridgePublisher({
    client: clients.eventBridge,
    eventBusName: options.eventBusName,
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
  const deliver = new DeliverOccurrence({
    clock,
    users: new DynamoUserRepository({ ...table, dueShards: options.dueShards }),
    occurrences: new DynamoOccurrenceRepository({ ...table, watchShards: options.dueShards }),
    queue: new SqsNotificationQueue({
      client: clients.sqs,
      queueUrl: options.queueUrl,
      deadLetterQueueUrl: options.deadLetterQueueUrl,
    }),
    sender: new HttpWebhookSender({ clock }),
    breaker,
    settings: {
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret,
      webhookTimeoutMs: options.webhookTimeoutMs,
      minimumAttemptMs: 1_000,
      retryPolicy,
      leaseMarginMs: 30_000,
      timeScale: options.timeScale ?? 1,
    },
  });
  return {
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
