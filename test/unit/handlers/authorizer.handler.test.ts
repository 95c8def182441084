import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '#handlers/authorizer.handler';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/v1/users';

const eventWith = (headers: Record<string, string> | null): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/{proxy+}',
    path: '/v1/users',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {},
  }) as unknown as APIGatewayRequestAuthorizerEvent;

const context = {
  functionName: 'authorizer',
  awsRequestId: 'aws-req',
  getRemainingTimeInMillis: () => 3000,
} as unknown as Context;

describe('the API key authorizer', () => {
  const authorizer = createAuthorizerHandler({
    principalOf: (key) =>
      Promise.resolve(
        key === 'the-key'
          ? { keyId: 'bootstrap', role: 'admin' as const }
          : key === 'viewer-key'
            ? { keyId: '0190', role: 'viewer' as const }
            : undefined,
      ),
  });

  it('given the right key in any header case, then Allow on every route of the stage', async () => {
    const result = await authorizer(eventWith({ 'X-Api-Key': 'the-key' }), context);
    expect(result).toEqual({
      principalId: 'bootstrap',
      context: { keyId: 'bootstrap', role: 'admin' },
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*',
          },
        ],
      },
    });
  });

  it('given a viewer key, then Allow with the viewer role in the context (the API answers 403 on writes)', async () => {
    const result = await authorizer(eventWith({ 'x-api-key': 'viewer-key' }), context);
    expect(result.principalId).toBe('0190');
    expect(result.context).toEqual({ keyId: '0190', role: 'viewer' });
  });

  it.each([
    ['a wrong key', { 'x-api-key': 'not-the-key' }],
    ['no key', {}],
    ['no headers at all', null],
  ])('given %s, then Unauthorized (API Gateway answers 401)', async (_case, headers) => {
    await expect(authorizer(eventWith(headers), context)).rejects.toThrow(/^Unauthorized$/);
  });
});
