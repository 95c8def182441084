import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOccurrenceLog } from '#adapters/dynamodb/dynamo-occurrence-log';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoReplayJobRepository } from '#adapters/dynamodb/dynamo-replay-job-repository';
import { InProcessReplayLauncher } from '#adapters/lambda/in-process-replay-launcher';
import { SqsNotificationQueue } from '#adapters/sqs/sqs-notification-queue';
import type { Clock } from '#commons/clock';
import { logger } from '#commons/powertools';
import type { ReplayLauncher } from '#ports/replay-launcher';
import { ReplayWindow } from '#use-cases/replay-window.use-case';

export interface ReplayCompositionOptions {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  tableName: string;
  dueShards: number;
  queueUrl: string;
  clock: Clock;
  /**
   * Who runs a launched job: the replay Lambda in AWS (LambdaReplayLauncher). Absent, the job
   * runs in the background of this process (tests, and the local runtime's default).
   */
  launcher?: ReplayLauncher;
  /** Most notifications per job (MAX_REPLAY_OCCURRENCES); tests shrink it. */
  maxOccurrences?: number;
}

const logError = (message: string, error: unknown): void => {
  logger.error(message, error instanceof Error ? error : new Error(String(error)));
};

/**
 * The replay use case on the real adapters, the same for the admin API (which starts jobs) and
 * the replay Lambda (which runs them): the notification log to find a window's notifications,
 * the occurrences to transition, the queue to send to, the job items to keep progress on.
 */
export function composeReplay(options: ReplayCompositionOptions): ReplayWindow {
  const table = { client: options.dynamo, tableName: options.tableName };
  const replays: ReplayWindow = new ReplayWindow({
    log: new DynamoOccurrenceLog({ ...table, shards: options.dueShards }),
    occurrences: new DynamoOccurrenceRepository({ ...table, watchShards: options.dueShards }),
    queue: new SqsNotificationQueue({ client: options.sqs, queueUrl: options.queueUrl }),
    jobs: new DynamoReplayJobRepository(table),
    launcher:
      options.launcher ??
      new InProcessReplayLauncher(
        // Called only once a job is launched, long after `replays` is assigned.
        (jobId) => replays.run(jobId),
        (jobId, error) => {
          logError(`replay job ${jobId} failed`, error);
        },
      ),
    clock: options.clock,
    ...(options.maxOccurrences === undefined ? {} : { maxOccurrences: options.maxOccurrences }),
    onError: logError,
  });
  return replays;
}
