import { LambdaClient } from '@aws-sdk/client-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { LambdaReplayLauncher, type ReplayInvocation } from '#adapters/lambda/lambda-replay-launcher';
import { awsClients } from '#commons/clients';
import { systemClock } from '#commons/clock';
import { parseConfig, replayConfigSpec } from '#commons/config';
import { logger, metrics, tracer } from '#commons/powertools';
import { REPLAY_JOB_ID } from '#domain/replay-job';
import type { ReplayLauncher } from '#ports/replay-launcher';
import type { ReplayRunOutcome, ReplayWindow } from '#use-cases/replay-window.use-case';
import { composeReplay } from './replay-composition';

/** Hand the rest of the job to a fresh invocation when less than this is left. */
const CONTINUE_MARGIN_MS = 30_000;

export interface ReplayRuntime {
  replays: ReplayWindow;
  /** Launches the continuation of a job short of time (the same function, asynchronously). */
  launcher: ReplayLauncher;
}

/**
 * The replay Lambda (invoked asynchronously by the admin API with `{"jobId"}`): runs the job
 * page by page, its progress saved after each; short of time it launches itself again to go on.
 */
export function createReplayHandler(runtime: () => Promise<ReplayRuntime>) {
  return middy(async (event: ReplayInvocation, context: Context): Promise<ReplayRunOutcome['kind']> => {
    const jobId = typeof event.jobId === 'string' ? event.jobId : '';
    if (!REPLAY_JOB_ID.test(jobId)) {
      // Not something the API sends: retrying cannot help, so it is dropped with a log line.
      logger.error('replay invoked without a valid jobId', { event });
      return 'missing';
    }
    logger.appendKeys({ replayJobId: jobId });
    const { replays, launcher } = await runtime();
    const outcome = await replays.run(jobId, {
      shouldStop: () => context.getRemainingTimeInMillis() < CONTINUE_MARGIN_MS,
    });
    if (outcome.kind === 'continue') await launcher.launch(jobId);
    metrics.addMetric('ReplayRuns', MetricUnit.Count, 1);
    if ('job' in outcome) {
      const { counts } = outcome.job;
      metrics.addMetric('ReplayRequeued', MetricUnit.Count, counts.requeued);
      logger.info('replay run', { outcome: outcome.kind, status: outcome.job.status, counts });
    } else {
      logger.info('replay run', { outcome: outcome.kind });
    }
    return outcome.kind;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

let aws: Promise<ReplayRuntime> | undefined;

/** Built once per container at the first invocation; a failed build is retried by the next one. */
function awsReplay(): Promise<ReplayRuntime> {
  aws ??= Promise.resolve()
    .then(() => {
      const config = parseConfig(replayConfigSpec, process.env);
      const { dynamo, sqs } = awsClients();
      const launcher = new LambdaReplayLauncher({
        client: tracer.captureAWSv3Client(new LambdaClient({})),
        functionName: config.functionName,
      });
      const replays = composeReplay({ ...config, dynamo, sqs, clock: systemClock, launcher });
      return { replays, launcher };
    })
    .catch((error: unknown) => {
      aws = undefined;
      throw error;
    });
  return aws;
}

export const handler = createReplayHandler(awsReplay);
