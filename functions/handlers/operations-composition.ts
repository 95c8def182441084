import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { DynamoOccurrenceLog } from '#adapters/dynamodb/dynamo-occurrence-log';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { SqsDeadLetterQueue } from '#adapters/sqs/sqs-dead-letter-queue';
import type { OperationsDeps } from '#api/routes/operations.routes';
import type { Clock } from '#commons/clock';
import { logger } from '#commons/powertools';
import type { EventPublisher } from '#ports/event-publisher';
import { BulkUsers, type BulkUserCommands } from '#use-cases/bulk-users.use-case';
import { ControlCircuits } from '#use-cases/control-circuits.use-case';
import { ManageDeadLetters } from '#use-cases/manage-dead-letters.use-case';
import { ViewNotifications } from '#use-cases/notification-log.use-case';
import { publishCircuitTransition } from './pipeline';

export interface OperationsCompositionOptions {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  tableName: string;
  dueShards: number;
  queueUrl: string;
  deadLetterQueueUrl: string;
  clock: Clock;
  /** The user use cases for one bulk request (BulkUsers: fresh per request). */
  bulkUserCommands: () => BulkUserCommands;
  /** Where circuit changes made by admins are published; without it they are logged and counted only. */
  events?: EventPublisher;
  /** Long polling of each DLQ receive (1 s in AWS; 0 against the local SQS server, which is exact). */
  deadLetterWaitSeconds?: number;
}

const NO_EVENTS: EventPublisher = { publish: () => Promise.resolve() };

/**
 * The operators' use cases of issue 4 on the real adapters, the same in AWS and locally: called
 * from the API's composition root.
 */
export function composeOperations(options: OperationsCompositionOptions): OperationsDeps {
  const table = { client: options.dynamo, tableName: options.tableName };
  const occurrences = new DynamoOccurrenceRepository({ ...table, watchShards: options.dueShards });
  const events = options.events ?? NO_EVENTS;
  return {
    notifications: new ViewNotifications({
      log: new DynamoOccurrenceLog({ ...table, shards: options.dueShards }),
      occurrences,
      clock: options.clock,
    }),
    deadLetters: new ManageDeadLetters({
      dlq: new SqsDeadLetterQueue({
        client: options.sqs,
        deadLetterQueueUrl: options.deadLetterQueueUrl,
        queueUrl: options.queueUrl,
        ...(options.deadLetterWaitSeconds === undefined
          ? {}
          : { waitTimeSeconds: options.deadLetterWaitSeconds }),
      }),
      occurrences,
      users: new DynamoUserRepository({ ...table, dueShards: options.dueShards }),
      clock: options.clock,
    }),
    circuits: new ControlCircuits({
      store: new DynamoCircuitStateStore(table),
      clock: options.clock,
      onTransition: async (transition) => {
        // The breaker's own log line and CircuitOpen metric; the domain event is awaited here,
        // so the admin's answer comes after it is out (the breaker, on a delivery path, does not wait).
        publishCircuitTransition(NO_EVENTS, transition);
        const type = transition.to === 'open' ? 'CircuitOpened' : 'CircuitClosed';
        await events
          .publish([{ type, at: transition.at, detail: { ...transition, trigger: 'admin' } }])
          .catch((error: unknown) => {
            logger.error('could not publish the circuit transition', { error });
          });
      },
    }),
    bulkUsers: new BulkUsers({
      forRequest: options.bulkUserCommands,
      onUnexpectedError: (error) => {
        logger.error('bulk user operation failed', error instanceof Error ? error : new Error(String(error)));
      },
    }),
  };
}
