import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoApiKeyRepository } from '#adapters/dynamodb/dynamo-api-key-repository';
import { DynamoAuditLog } from '#adapters/dynamodb/dynamo-audit-log';
import { DynamoIdempotencyStore } from '#adapters/dynamodb/dynamo-idempotency-store';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoEventTypeRepository } from '#adapters/dynamodb/dynamo-event-type-repository';
import { DynamoUserEventRepository } from '#adapters/dynamodb/dynamo-user-event-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { DynamoPersonalDataStore } from '#adapters/dynamodb/dynamo-personal-data';
import { UserPrivacy } from '#use-cases/user-privacy.use-case';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import { generateWebhookSecret } from '#adapters/webhook/signature';
import type { WebhookUrlPolicy } from '#domain/webhook-url';
import { EventTypeCatalog } from '#use-cases/event-type-catalog';
import { ManageEventTypes } from '#use-cases/manage-event-types.use-case';
import { ManageUserEvents } from '#use-cases/manage-user-events.use-case';
import { NotificationCommands } from '#use-cases/notification-commands.use-case';
import type { ApiDeps } from '#api/app';
import type { CorsPolicy } from '#api/cors';
import { TokenBucketRateLimiter, type RateLimit } from '#api/rate-limiter';
import type { ReadinessCheck, ReadinessProbe } from '#api/routes/health.routes';
import { systemClock, type Clock } from '#commons/clock';
import { Authenticate } from '#use-cases/authenticate.use-case';
import { ManageApiKeys } from '#use-cases/manage-api-keys.use-case';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import type { BulkUserCommands } from '#use-cases/bulk-users.use-case';
import type { EventPublisher } from '#ports/event-publisher';
import { composeOperations } from './operations-composition';
import type { ReplayLauncher } from '#ports/replay-launcher';
import type { MetricsReader } from '#ports/metrics-reader';
import { composeReplay } from './replay-composition';

export interface ApiCompositionOptions {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  tableName: string;
  dueShards: number;
  queueUrl: string;
  deadLetterQueueUrl: string;
  clock: Clock;
  rateLimit?: RateLimit;
  cors?: CorsPolicy;
  /** What event types' own webhook URLs must follow (https, WEBHOOK_ALLOWED_HOSTS); strictest when absent. */
  webhookUrlPolicy?: WebhookUrlPolicy;
  /** Where admins' circuit changes are published (EVENT_BUS_NAME); logged and counted only when absent. */
  events?: EventPublisher;
  /** Long polling of each DLQ receive: 1 s in AWS (the default), 0 against the local SQS server. */
  deadLetterWaitSeconds?: number;
  /**
   * Who runs replay jobs: the replay Lambda in AWS (REPLAY_FUNCTION_NAME), the local runtime's
   * background runner; absent, they run in the background of this process.
   */
  replayLauncher?: ReplayLauncher;
  /** Most notifications per replay job (MAX_REPLAY_OCCURRENCES); tests shrink it. */
  maxReplayOccurrences?: number;
  /** The dashboard's series (GET /v1/metrics): CloudWatch in AWS, the runtime's recorder locally. */
  metrics: MetricsReader;
}

export type ComposedApiDeps = Omit<ApiDeps, 'logError' | 'extraRoutes'>;

/**
 * The admin API's composition root, the same in AWS (api.handler.ts) and locally
 * (local/runtime.ts): every adapter on the one table.
 */
export function composeApi(options: ApiCompositionOptions): ComposedApiDeps {
  const table = { client: options.dynamo, tableName: options.tableName };
  const users = new DynamoUserRepository({ ...table, dueShards: options.dueShards });
  const occurrences = new DynamoOccurrenceRepository({ ...table, watchShards: options.dueShards });
  const userEvents = new DynamoUserEventRepository({ ...table, dueShards: options.dueShards });
  const eventTypeRepository = new DynamoEventTypeRepository(table);
  const catalog = new EventTypeCatalog(eventTypeRepository);
  const queue = new SqsNotificationQueue({ client: options.sqs, queueUrl: options.queueUrl });
  const userDeps = { users, occurrences, clock: options.clock, eventTypes: catalog, userEvents };
  const manageUsers = new ManageUsers(userDeps);
  return {
    clock: options.clock,
    manageUsers,
    operations: composeOperations({
      ...options,
      bulkUserCommands: () => bulkUserCommands(userDeps),
    }),
    eventModel: {
      eventTypes: new ManageEventTypes({
        repository: eventTypeRepository,
        catalog,
        userEvents,
        clock: options.clock,
        newSecret: generateWebhookSecret,
        ...(options.webhookUrlPolicy ? { webhookUrlPolicy: options.webhookUrlPolicy } : {}),
      }),
      userEvents: new ManageUserEvents({
        users,
        userEvents,
        catalog,
        occurrences,
        queue,
        clock: options.clock,
      }),
      notificationCommands: new NotificationCommands({ occurrences, queue, clock: options.clock }),
    },
    replays: composeReplay({
      ...options,
      ...(options.replayLauncher ? { launcher: options.replayLauncher } : {}),
      ...(options.maxReplayOccurrences === undefined ? {} : { maxOccurrences: options.maxReplayOccurrences }),
    }),
    privacy: new UserPrivacy({
      users,
      userEvents,
      occurrences,
      personalData: new DynamoPersonalDataStore(table),
      clock: options.clock,
      catalog,
    }),
    apiKeys: new ManageApiKeys({ keys: new DynamoApiKeyRepository(table), clock: options.clock }),
    auditLog: new DynamoAuditLog(table),
    idempotency: new DynamoIdempotencyStore(table),
    readiness: readinessProbe(options),
    // Request rates are real time, also under the local simulated clock.
    ...(options.rateLimit ? { rateLimiter: new TokenBucketRateLimiter(options.rateLimit, systemClock) } : {}),
    ...(options.cors ? { cors: options.cors } : {}),
    metrics: options.metrics,
  };
}

/**
 * Who an `x-api-key` is, for the authorizer (AWS) and the local gateway stand-in.
 * @param options.cacheMs how long a stored key is trusted before it is read again (0 locally)
 */
export function composeAuthenticate(options: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  /** The bootstrap admin key (ADMIN_API_KEY locally, Secrets Manager in AWS). */
  bootstrapKey: () => Promise<string>;
  cacheMs?: number;
}): Authenticate {
  return new Authenticate({
    bootstrapKey: options.bootstrapKey,
    keys: new DynamoApiKeyRepository({ client: options.dynamo, tableName: options.tableName }),
    clock: options.clock,
    cacheMs: options.cacheMs ?? 0,
  });
}

/** Reads that need no data: a GetItem of a key that never exists, and each queue's attributes. */
function readinessProbe(options: ApiCompositionOptions): ReadinessProbe {
  const check = async (name: string, probe: () => Promise<unknown>): Promise<ReadinessCheck> => {
    try {
      await probe();
      return { name, ok: true };
    } catch (error) {
      return { name, ok: false, detail: error instanceof Error ? error.name : 'unreachable' };
    }
  };
  const queue = (url: string) => () =>
    options.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return () =>
    Promise.all([
      check('table', () =>
        options.dynamo.send(
          new GetCommand({ TableName: options.tableName, Key: { pk: 'HEALTH', sk: 'PROBE' } }),
        ),
      ),
      check('queue', queue(options.queueUrl)),
      check('dead-letter-queue', queue(options.deadLetterQueueUrl)),
    ]);
}

/**
 * The user use cases of one bulk request: the API's, and the same one assigning a given id
 * (create/upsert with id), sharing one snapshot of the event types, so a request of 1,000 rows
 * reads the birthday type once instead of 1,000 times.
 */
export function bulkUserCommands(userDeps: ConstructorParameters<typeof ManageUsers>[0]): BulkUserCommands {
  const deps = {
    ...userDeps,
    eventTypes: (userDeps.eventTypes ?? new EventTypeCatalog(undefined)).snapshot(),
  };
  return {
    manageUsers: new ManageUsers(deps),
    manageUsersWithId: (id) => new ManageUsers({ ...deps, newId: () => id }),
  };
}
