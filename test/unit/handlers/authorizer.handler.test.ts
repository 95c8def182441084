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
  const authorizer = createAuthorizerHandler({ expectedApiKey: () => Promise.resolve('the-key') });

  it('given the right key in any header case, then Allow on every route of the stage', async () => {
    const result = await authorizer(eventWith({ 'X-Api-Key': 'the-key' }), context);
    expect(result).toEqual({
      principalId: 'admin',
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

  it.each([
    ['a wrong key', { 'x-api-key': 'not-the-key' }],
    ['no key', {}],
    ['no headers at all', null],
  ])('given %s, then Unauthorized (API Gateway answers 401)', async (_case, headers) => {
    await expect(authorizer(eventWith(headers), context)).rejects.toThrow(/^Unauthorized$/);
  });
});
