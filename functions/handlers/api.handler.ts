import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { EventBridgePublisher } from '#adapters/eventbridge/eventbridge-publisher';
import { CachingMetricsReader } from '#adapters/metrics/caching-metrics-reader';
import { CloudWatchMetricsReader } from '#adapters/metrics/cloudwatch-metrics-reader';
import { LambdaReplayLauncher } from '#adapters/lambda/lambda-replay-launcher';
import { createApi, type ApiDeps } from '#api/app';
import { requestIdOf } from '#api/http';
import { systemClock } from '#commons/clock';
import { apiConfigSpec, parseConfig, type Env } from '#commons/config';
import { logger, metrics, tracer } from '#commons/powertools';
import { composeApi } from './api-composition';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export type ApiHandlerDeps = Omit<ApiDeps, 'logError'>;

/** The admin API Lambda: Powertools around the API; the API itself never throws. */
export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const api = createApi({
    ...deps,
    logError: (message, error) => {
      logger.error(message, error instanceof Error ? error : new Error(String(error)));
    },
  });
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event) => {
      const requestId = requestIdOf(event.headers);
      logger.appendKeys({ requestId });
      const result = await api(event, requestId);
      metrics.addMetric('ApiRequests', MetricUnit.Count, 1);
      metrics.addMetric('ApiServerErrors', MetricUnit.Count, result.statusCode >= 500 ? 1 : 0);
      return result;
    });
}

/** The AWS wiring: config from the environment, one traced client per service and container. */
export function createDefaultApiHandler(env: Env): ApiHandler {
  const config = parseConfig(apiConfigSpec, env);
  const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = tracer.captureAWSv3Client(new SQSClient({}));
  return createApiHandler(
    composeApi({
      dynamo,
      sqs,
      tableName: config.tableName,
      dueShards: config.dueShards,
      queueUrl: config.queueUrl,
      deadLetterQueueUrl: config.deadLetterQueueUrl,
      clock: systemClock,
      // Each console poll must not be a fresh (billed) GetMetricData: ADR 0008.
      metrics: new CachingMetricsReader(
        new CloudWatchMetricsReader({
          client: tracer.captureAWSv3Client(new CloudWatchClient({})),
          names: {
            functions: {
              ...config.dashboardFunctionNames,
              // This function's own name comes from Lambda itself.
              ...(env.AWS_LAMBDA_FUNCTION_NAME ? { api: env.AWS_LAMBDA_FUNCTION_NAME } : {}),
            },
            queues: {
              notifications: queueNameOf(config.queueUrl),
              dlq: queueNameOf(config.deadLetterQueueUrl),
            },
            ...(config.apiName ? { apiName: config.apiName } : {}),
          },
        }),
        { clock: systemClock, ttlMs: 60_000, freshReadsPerMinute: 12 },
      ),
      rateLimit: { ratePerSecond: config.apiRateLimit, burst: config.apiBurstLimit },
      ...(config.corsAllowOrigin ? { cors: { allowedOrigins: [config.corsAllowOrigin] } } : {}),
      // Replay jobs run in the replay Lambda, invoked asynchronously: the API answers 202 at once.
      ...(config.replayFunctionName
        ? {
            replayLauncher: new LambdaReplayLauncher({
              client: tracer.captureAWSv3Client(new LambdaClient({})),
              functionName: config.replayFunctionName,
            }),
          }
        : {}),
      ...(config.eventBusName
        ? {
            events: new EventBridgePublisher({
              client: tracer.captureAWSv3Client(new EventBridgeClient({})),
              eventBusName: config.eventBusName,
            }),
          }
        : {}),
    }),
  );
}

/** The `QueueName` dimension of a queue URL: its last path segment. */
const queueNameOf = (queueUrl: string): string => queueUrl.slice(queueUrl.lastIndexOf('/') + 1);

let defaultHandler: ApiHandler | undefined;

/**
 * The Lambda entry point. Built at the first invocation rather than at import, so tests and the
 * local runtime can import the factory without AWS configuration; a missing variable still fails
 * the first (cold-start) invocation, naming the variable.
 */
export const handler: ApiHandler = (event, context) => {
  defaultHandler ??= createDefaultApiHandler(process.env);
  return defaultHandler(event, context);
};
