import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '#commons/clock';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, MetricDimension, MetricName, metrics } from '#commons/powertools';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { SharedCircuitBreaker } from '#adapters/circuit/shared-circuit-breaker';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoDueIndex, DynamoWatermarkStore } from '#adapters/dynamodb/dynamo-scheduler-state';
import { DynamoEventTypeRepository } from '#adapters/dynamodb/dynamo-event-type-repository';
import { DynamoUserEventRepository } from '#adapters/dynamodb/dynamo-user-event-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { CoalescingItemReader } from '#adapters/dynamodb/item-reader';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { EndpointGuard, type HostResolver } from '#adapters/webhook/endpoint-guard';
import { HttpWebhookSender } from '#adapters/webhook/http-webhook-sender';
import type { PreviousWebhookSecret } from '#domain/event-type';
import { STRICT_WEBHOOK_URL_POLICY, type WebhookUrlPolicy } from '#domain/webhook-url';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy, type RetryPolicy } from '#domain/retry-policy';
import type { CircuitTransition } from '#ports/circuit-breaker';
import type { EventPublisher } from '#ports/event-publisher';
import { DeliverOccurrence } from '#use-cases/deliver-occurrence.use-case';
import { EventTypeCatalog } from '#use-cases/event-type-catalog';
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
    userEvents: new DynamoUserEventRepository({ ...table, dueShards: options.dueShards }),
    eventTypes: new EventTypeCatalog(new DynamoEventTypeRepository(table), options.maxLatenessMs / 3_600_000),
    settings: { maxLatenessMs: options.maxLatenessMs, ...options.settings },
  });
}

/**
 * How long a worker container reuses an event type it read (as long as the circuit state's
 * cache): an edit, a disable or a delete of a type reaches deliveries at most this much later.
 */
export const EVENT_TYPE_CACHE_MS = 5_000;

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
    /** The global secret being rotated out and the end of its overlap (WEBHOOK_PREVIOUS_SECRET…). */
    webhookPreviousSecrets?: readonly PreviousWebhookSecret[];
    webhookTimeoutMs: number;
    /**
     * The SSRF guard's rules for webhook URLs other than `webhookUrl` (which is trusted):
     * https only and nothing private unless WEBHOOK_ALLOWED_HOSTS says so, when absent.
     */
    webhookUrlPolicy?: WebhookUrlPolicy;
    /** How the guard resolves host names; tests inject one for made-up names. */
    resolveHost?: HostResolver;
    retryPolicy?: RetryPolicy;
    /** Clock ms per real ms; only the local runtime runs its clock faster. */
    timeScale?: number;
    /** PUBLISH_DELIVERED_EVENTS: a `NotificationDelivered` event per delivery (default off). */
    publishDeliveredEvents?: boolean;
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
  // The records of a batch are handled side by side: their reads of occurrences, users and
  // events share one BatchGetItem per round instead of a GetItem each.
  const reads = { ...table, reader: new CoalescingItemReader(table) };
  const deliver = new DeliverOccurrence({
    clock,
    users: new DynamoUserRepository({ ...reads, dueShards: options.dueShards }),
    userEvents: new DynamoUserEventRepository({ ...reads, dueShards: options.dueShards }),
    // Cached a few seconds per container: a type edit reaches deliveries that much later.
    eventTypes: new EventTypeCatalog(new DynamoEventTypeRepository(table), undefined, {
      clock,
      ttlMs: EVENT_TYPE_CACHE_MS,
    }),
    occurrences: new DynamoOccurrenceRepository({ ...reads, watchShards: options.dueShards }),
    queue: new SqsNotificationQueue({
      client: clients.sqs,
      queueUrl: options.queueUrl,
      deadLetterQueueUrl: options.deadLetterQueueUrl,
    }),
    sender: new HttpWebhookSender({
      clock,
      guard: new EndpointGuard({
        policy: options.webhookUrlPolicy ?? STRICT_WEBHOOK_URL_POLICY,
        trustedUrls: [options.webhookUrl],
        ...(options.resolveHost ? { resolve: options.resolveHost } : {}),
      }),
    }),
    breaker,
    settings: {
      webhookUrl: options.webhookUrl,
      webhookSecret: options.webhookSecret,
      ...(options.webhookPreviousSecrets ? { webhookPreviousSecrets: options.webhookPreviousSecrets } : {}),
      webhookTimeoutMs: options.webhookTimeoutMs,
      minimumAttemptMs: 1_000,
      retryPolicy,
      leaseMarginMs: 30_000,
      timeScale: options.timeScale ?? 1,
      publishDelivered: options.publishDeliveredEvents ?? false,
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

const CIRCUIT_OPEN_GAUGE = { closed: 0, 'half-open': 0.5, open: 1 } as const;

/** Circuit changes are rare and worth an event each; a failure to publish must not block delivery. */
export function publishCircuitTransition(publisher: EventPublisher, transition: CircuitTransition): void {
  logger.warn('circuit state changed', { ...transition });
  // The dashboard's "circuit state per endpoint": one point per transition, 1 = open.
  metrics
    .singleMetric()
    .addDimension(MetricDimension.Endpoint, transition.endpointKey)
    .addMetric(MetricName.CircuitOpen, MetricUnit.Count, CIRCUIT_OPEN_GAUGE[transition.to]);
  const type =
    transition.to === 'open' ? 'CircuitOpened' : transition.to === 'closed' ? 'CircuitClosed' : undefined;
  if (!type) return;
  publisher.publish([{ type, at: transition.at, detail: { ...transition } }]).catch((error: unknown) => {
    logger.error('could not publish the circuit transition', { error });
  });
}
