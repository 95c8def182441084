import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { json } from '#api/http';
import { ProblemError } from '#api/problem';
import { createRouter, type Route } from '#api/router';

const event = (httpMethod: string, path: string): APIGatewayProxyEvent =>
  ({ httpMethod, path, headers: {}, body: null }) as unknown as APIGatewayProxyEvent;

const echo: Route['handler'] = ({ params }) => Promise.resolve(json(200, params));
const router = createRouter([
  { method: 'GET', path: '/v1/things', handler: echo },
  { method: 'POST', path: '/v1/things', handler: echo },
  { method: 'GET', path: '/v1/things/{id}', handler: echo },
]);

const problemOf = async (promise: Promise<unknown>): Promise<ProblemError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ProblemError)) throw new Error('expected a ProblemError');
  return error;
};

describe('createRouter', () => {
  it('given a templated path, when matched, then the segment is passed decoded', async () => {
    const response = await router(event('GET', '/v1/things/a%20b'), 'rid');
    expect(JSON.parse(response.body)).toEqual({ id: 'a b' });
  });

  it('given a trailing slash, when matched, then it is the same resource', async () => {
    expect((await router(event('GET', '/v1/things/'), 'rid')).statusCode).toBe(200);
  });

  it('given an unknown path, then a 404 problem', async () => {
    expect((await problemOf(router(event('GET', '/v1/other'), 'rid'))).problem.status).toBe(404);
  });

  it('given a malformed escape, then a 404 problem (not a URIError)', async () => {
    expect((await problemOf(router(event('GET', '/v1/things/%E0%A4%A'), 'rid'))).problem.status).toBe(404);
  });

  it('given a wrong method, then a 405 problem listing the allowed methods', async () => {
    const error = await problemOf(router(event('DELETE', '/v1/things'), 'rid'));
    expect(error.problem.status).toBe(405);
    expect(error.headers).toEqual({ allow: 'GET, POST' });
  });
});
