import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DynamoUserRepository } from '#adapters/dynamodb/dynamo-user-repository';
import { createApi } from '#api/app';
import type { Route } from '#api/router';
import { requestIdOf } from '#api/http';
import { systemClock } from '#commons/clock';
import { apiConfigSpec, parseConfig, type Env } from '#commons/config';
import { logger, metrics, tracer } from '#commons/powertools';
import { ManageUsers } from '#use-cases/manage-users.use-case';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiHandlerDeps {
  manageUsers: ManageUsers;
  /** Routes beyond the admin API's own, e.g. the local runtime's `/_local/*` (absent in AWS). */
  extraRoutes?: readonly Route[];
}

/** The admin API Lambda: Powertools around the API; the API itself never throws. */
export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const api = createApi({
    manageUsers: deps.manageUsers,
    extraRoutes: deps.extraRoutes,
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

/** The AWS wiring: config from the environment, one traced DynamoDB client per container. */
export function createDefaultApiHandler(env: Env): ApiHandler {
  const config = parseConfig(apiConfigSpec, env);
  const client = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const users = new DynamoUserRepository({
    client,
    tableName: config.tableName,
    dueShards: config.dueShards,
  });
  const occurrences = new DynamoOccurrenceRepository({
    client,
    tableName: config.tableName,
    watchShards: config.dueShards,
  });
  return createApiHandler({ manageUsers: new ManageUsers({ users, occurrences, clock: systemClock }) });
}

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
