import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { json } from '#api/http';
import { ProblemError } from '#api/problem';
import { accessOf, createRouter, type Route } from '#api/router';

const event = (httpMethod: string, path: string): APIGatewayProxyEvent =>
  ({ httpMethod, path, headers: {}, body: null }) as unknown as APIGatewayProxyEvent;

const echo: Route['handler'] = ({ params }) => Promise.resolve(json(200, params));
const router = createRouter([
  { method: 'GET', path: '/v1/things', handler: echo },
  { method: 'POST', path: '/v1/things', handler: echo },
  { method: 'GET', path: '/v1/things/{id}', handler: echo },
]);

const problemOf = (find: () => unknown): ProblemError => {
  try {
    find();
  } catch (error) {
    if (error instanceof ProblemError) return error;
  }
  throw new Error('expected a ProblemError');
};

describe('createRouter', () => {
  it('given a templated path, when matched, then the segment is passed decoded', () => {
    const match = router(event('GET', '/v1/things/a%20b'));
    expect(match.route.path).toBe('/v1/things/{id}');
    expect(match.params).toEqual({ id: 'a b' });
  });

  it('given a trailing slash, when matched, then it is the same resource', () => {
    expect(router(event('GET', '/v1/things/')).route.path).toBe('/v1/things');
  });

  it('given an unknown path, then a 404 problem', () => {
    expect(problemOf(() => router(event('GET', '/v1/other'))).problem.status).toBe(404);
  });

  it('given a malformed escape, then a 404 problem (not a URIError)', () => {
    expect(problemOf(() => router(event('GET', '/v1/things/%E0%A4%A'))).problem.status).toBe(404);
  });

  it('given a wrong method, then a 405 problem listing the allowed methods', () => {
    const error = problemOf(() => router(event('DELETE', '/v1/things')));
    expect(error.problem.status).toBe(405);
    expect(error.headers).toEqual({ allow: 'GET, POST' });
  });

  it('given a route without an access rule, then GET needs a viewer and anything else an admin', () => {
    expect(accessOf({ method: 'GET' })).toBe('viewer');
    expect(accessOf({ method: 'DELETE' })).toBe('admin');
    expect(accessOf({ method: 'GET', access: 'public' })).toBe('public');
  });
});
