import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { isAuthorizedApiKey } from '#api/auth';
import { headerOf } from '#api/http';
import { readSecret } from '#commons/clients';
import { authorizerConfigSpec, parseConfig, type Env } from '#commons/config';
import { logger, tracer } from '#commons/powertools';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

export const ADMIN_PRINCIPAL = 'admin';
export const API_KEY_HEADER = 'x-api-key';

/**
 * A REQUEST authorizer for the admin API (identity source: the `x-api-key` header). A wrong or
 * missing key throws `Unauthorized`, the one error API Gateway turns into a 401 (a Deny policy
 * would be a 403, and the contract says 401).
 */
export function createAuthorizerHandler(deps: { expectedApiKey: () => Promise<string> }): AuthorizerHandler {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const presented = headerOf(event.headers, API_KEY_HEADER);
      if (!isAuthorizedApiKey(presented, await deps.expectedApiKey())) {
        logger.info('admin API key rejected', { keyPresent: presented !== undefined, path: event.path });
        throw new Error('Unauthorized');
      }
      return allowPolicy(event.methodArn);
    });
}

/**
 * Allows every method of the stage, not just `methodArn`: API Gateway caches the policy per
 * key, and a policy for one method would deny the admin's next call to another route.
 */
export function allowPolicy(methodArn: string): APIGatewayAuthorizerResult {
  // arn:aws:execute-api:region:account:apiId/stage/METHOD/path -> arn:...:apiId/stage/*/*
  const [apiArn = methodArn, stage = '*'] = methodArn.split('/');
  return {
    principalId: ADMIN_PRINCIPAL,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${apiArn}/${stage}/*/*` }],
    },
  };
}

/**
 * The AWS wiring. TODO(secrets): fetch the key from Secrets Manager (ADMIN_API_KEY_SECRET_ARN,
 * cached a few minutes per container) once @aws-sdk/client-secrets-manager is a dependency.
 */
export function createDefaultAuthorizerHandler(env: Env): AuthorizerHandler {
  const config = parseConfig(authorizerConfigSpec, env);
  // Read once per container; the value is never logged nor put in the environment.
  let key: Promise<string> | undefined;
  return createAuthorizerHandler({ expectedApiKey: () => (key ??= readSecret(config.adminApiKeySecretArn)) });
}

let defaultHandler: AuthorizerHandler | undefined;

/** The Lambda entry point, built at the first invocation (see api.handler.ts). */
export const handler: AuthorizerHandler = (event, context) => {
  defaultHandler ??= createDefaultAuthorizerHandler(process.env);
  return defaultHandler(event, context);
};
