import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { DynamoApiKeyRepository } from '#adapters/dynamodb/dynamo-api-key-repository';
import { headerOf } from '#api/headers';
import type { Principal } from '#api/router';
import { readSecret } from '#commons/clients';
import { systemClock } from '#commons/clock';
import { authorizerConfigSpec, parseConfig, type Env } from '#commons/config';
import { logger, tracer } from '#commons/powertools';
import { Authenticate } from '#use-cases/authenticate.use-case';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

export const API_KEY_HEADER = 'x-api-key';
/** A revoked key keeps working at most this long in a warm container (API Gateway caches too). */
const STORED_KEY_CACHE_MS = 60_000;

/**
 * A REQUEST authorizer for the admin API (identity source: the `x-api-key` header). A wrong or
 * missing key throws `Unauthorized`, the one error API Gateway turns into a 401 (a Deny policy
 * would be a 403, and the contract says 401). The key's id and role go to the API in the
 * authorizer context, where the API decides 403 for a viewer on a write.
 */
export function createAuthorizerHandler(deps: {
  principalOf: (apiKey: string | undefined) => Promise<Principal | undefined>;
}): AuthorizerHandler {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const presented = headerOf(event.headers, API_KEY_HEADER);
      const principal = await deps.principalOf(presented);
      if (!principal) {
        logger.info('API key rejected', { keyPresent: presented !== undefined, path: event.path });
        throw new Error('Unauthorized');
      }
      return allowPolicy(event.methodArn, principal);
    });
}

/**
 * Allows every method of the stage, not just `methodArn`: API Gateway caches the policy per
 * key, and a policy for one method would deny the admin's next call to another route. Roles are
 * enforced by the API itself from the context.
 */
export function allowPolicy(methodArn: string, principal: Principal): APIGatewayAuthorizerResult {
  // arn:aws:execute-api:region:account:apiId/stage/METHOD/path -> arn:...:apiId/stage/*/*
  const [apiArn = methodArn, stage = '*'] = methodArn.split('/');
  return {
    principalId: principal.keyId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${apiArn}/${stage}/*/*` }],
    },
    context: { keyId: principal.keyId, role: principal.role },
  };
}

/** The AWS wiring: the bootstrap key from Secrets Manager, stored keys from the table. */
export function createDefaultAuthorizerHandler(env: Env): AuthorizerHandler {
  const config = parseConfig(authorizerConfigSpec, env);
  const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
  // Read once per container; the value is never logged nor put in the environment.
  let bootstrapKey: Promise<string> | undefined;
  const authenticate = new Authenticate({
    bootstrapKey: () => (bootstrapKey ??= readSecret(config.adminApiKeySecretArn)),
    keys: new DynamoApiKeyRepository({ client: dynamo, tableName: config.tableName }),
    clock: systemClock,
    cacheMs: STORED_KEY_CACHE_MS,
  });
  return createAuthorizerHandler({ principalOf: (apiKey) => authenticate.principalOf(apiKey) });
}

let defaultHandler: AuthorizerHandler | undefined;

/** The Lambda entry point, built at the first invocation (see api.handler.ts). */
export const handler: AuthorizerHandler = (event, context) => {
  defaultHandler ??= createDefaultAuthorizerHandler(process.env);
  return defaultHandler(event, context);
};
