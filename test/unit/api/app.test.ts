import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApi } from '#api/app';
import { ManualClock } from '#commons/clock';
import { ManageUsers } from '#use-cases/manage-users.use-case';
import { InMemoryUsers } from '../../support/in-memory-users';
import { startTestApi, type TestApi } from '../../support/test-api';

const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

const event = (overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
  ({
    httpMethod: 'GET',
    path: '/health',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    // What the authorizer step puts in the context for the bootstrap admin key.
    requestContext: { authorizer: { principalId: 'bootstrap', keyId: 'bootstrap', role: 'admin' } },
    ...overrides,
  }) as APIGatewayProxyEvent;

const clock = new ManualClock(Date.parse('2025-06-10T12:00:00Z'));
let testApi: TestApi;

/** The composed API on real stand-ins, with the users' storage replaced where a test breaks it. */
const setup = (users = new InMemoryUsers()) => {
  const logError = vi.fn();
  const manageUsers = new ManageUsers({ users, clock });
  return { api: createApi({ ...testApi.deps, manageUsers, logError }), logError };
};

describe('createApi', () => {
  beforeAll(async () => {
    testApi = await startTestApi({ clock });
  });
  afterAll(async () => {
    await testApi.stop();
  });

  it('given a base64-encoded JSON body (binary media type), when POSTed, then it is decoded and accepted', async () => {
    const { api } = setup();
    const result = await api(
      event({
        httpMethod: 'POST',
        path: '/v1/users',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(ada)).toString('base64'),
        isBase64Encoded: true,
      }),
      'rid-1',
    );
    expect(result.statusCode).toBe(201);
    expect(result.headers).toMatchObject({ 'x-request-id': 'rid-1', 'cache-control': 'no-store' });
  });

  it('given a storage failure, when called, then 500 problem without internals, and the error is logged', async () => {
    const users = new InMemoryUsers();
    users.get = () => Promise.reject(new Error('ProvisionedThroughputExceeded on table secret-table'));
    const { api, logError } = setup(users);

    const result = await api(event({ path: '/v1/users/01900000-0000-7000-8000-000000000000' }), 'rid-2');

    expect(result.statusCode).toBe(500);
    expect(result.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'x-request-id': 'rid-2',
    });
    expect(JSON.parse(result.body)).toEqual({
      type: 'https://occasions.dev/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side; it has been logged.',
    });
    expect(result.body).not.toContain('secret-table');
    expect(logError).toHaveBeenCalledOnce();
  });

  it('given an audit log that fails, when a user is created, then 201 all the same and the failure is logged', async () => {
    const logError = vi.fn();
    const api = createApi({
      ...testApi.deps,
      auditLog: {
        record: () => Promise.reject(new Error('throttled')),
        list: (query) => testApi.deps.auditLog.list(query),
      },
      logError,
    });
    const result = await api(
      event({
        httpMethod: 'POST',
        path: '/v1/users',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ada),
      }),
      'rid-3',
    );
    expect(result.statusCode).toBe(201);
    expect(logError).toHaveBeenCalledWith('audit entry not written', expect.any(Error));
  });
});
