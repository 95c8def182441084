import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
});

import { ManualClock } from '#commons/clock';
import { startTestApi, type Answer, type TestApi } from '../../support/test-api';

const START = Date.parse('2026-03-01T10:00:00.000Z');
const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

describe('the admin API: credentials, roles, safe writes and the audit log', () => {
  const clock = new ManualClock(START);
  let api: TestApi;

  const createKey = async (role: 'admin' | 'viewer'): Promise<Answer> => {
    const answer = await api.call('POST', '/v1/api-keys', { body: { name: `${role} key`, role } });
    expect(answer.status).toBe(201);
    return answer;
  };
  const tableItems = async (): Promise<Record<string, unknown>[]> =>
    (await api.table.doc.send(new ScanCommand({ TableName: api.table.tableName, ConsistentRead: true })))
      .Items ?? [];

  beforeAll(async () => {
    api = await startTestApi({ clock });
  });
  afterAll(async () => {
    await api.stop();
  });

  describe('API keys', () => {
    it('given a new key, then its secret is shown once, stored only as a hash, and it authenticates', async () => {
      const created = await createKey('admin');
      const key = created.body.key as string;
      expect(key).toMatch(/^occ_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      expect(created.headers.get('location')).toBe(`/v1/api-keys/${String(created.body.id)}`);

      const shown = await api.call('GET', `/v1/api-keys/${String(created.body.id)}`);
      expect(shown.status).toBe(200);
      expect(shown.body).not.toHaveProperty('key');
      expect(JSON.stringify(await tableItems())).not.toContain(key.slice(-43));

      expect((await api.call('GET', '/v1/users', { apiKey: key })).status).toBe(200);
      expect((await api.call('GET', '/v1/users', { apiKey: `${key.slice(0, -1)}x` })).status).toBe(401);
    });

    it('given a viewer key, then it reads (200) but every write is 403 and changes nothing', async () => {
      const viewer = (await createKey('viewer')).body.key as string;
      expect((await api.call('GET', '/v1/users', { apiKey: viewer })).status).toBe(200);
      const before = await tableItems();

      const denied = await api.call('POST', '/v1/users', { apiKey: viewer, body: ada });
      expect(denied.status).toBe(403);
      expect(denied.headers.get('content-type')).toBe('application/problem+json');
      expect(
        (await api.call('POST', '/v1/api-keys', { apiKey: viewer, body: { name: 'x', role: 'admin' } }))
          .status,
      ).toBe(403);
      expect(await tableItems()).toEqual(before);
    });

    it('given a revoked key, then it is refused with 401 and listed as revoked', async () => {
      const created = await createKey('admin');
      const key = created.body.key as string;
      const revoked = await api.call('DELETE', `/v1/api-keys/${String(created.body.id)}`);
      expect(revoked.status).toBe(204);
      expect((await api.call('GET', '/v1/users', { apiKey: key })).status).toBe(401);
      const listed = await api.call('GET', '/v1/api-keys?limit=100');
      const item = (listed.body.items as { id: string; revokedAt: string | null }[]).find(
        (candidate) => candidate.id === created.body.id,
      );
      expect(item?.revokedAt).toBe(new Date(START).toISOString());
    });
  });

  describe('per-key rate limiting', () => {
    it('given a key over its burst, then 429 with Retry-After, and another key is not affected', async () => {
      const limited = await startTestApi({ clock, rateLimit: { ratePerSecond: 0.001, burst: 2 } });
      try {
        expect((await limited.call('GET', '/v1/users')).status).toBe(200);
        expect((await limited.call('GET', '/v1/users')).status).toBe(200);
        const throttled = await limited.call('GET', '/v1/users');
        expect(throttled.status).toBe(429);
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(throttled.body.type).toBe('https://occasions.dev/problems/too-many-requests');
      } finally {
        await limited.stop();
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('given the same key twice, then the second POST answers the first answer and creates nothing', async () => {
      const headers = { 'idempotency-key': 'create-ada-1' };
      const first = await api.call('POST', '/v1/users', { body: ada, headers });
      const second = await api.call('POST', '/v1/users', { body: ada, headers });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const users = (await tableItems()).filter((item) => item.entity === 'user' && item.firstName === 'Ada');
      expect(users.filter((item) => item.id === first.body.id)).toHaveLength(1);
      expect(users).toHaveLength(1);
    });

    it('given the same key with another body, then 422 and nothing created', async () => {
      const headers = { 'idempotency-key': 'create-2' };
      expect((await api.call('POST', '/v1/users', { body: ada, headers })).status).toBe(201);
      const before = await tableItems();
      const reused = await api.call('POST', '/v1/users', { body: { ...ada, firstName: 'Grace' }, headers });
      expect(reused.status).toBe(422);
      expect(await tableItems()).toEqual(before);
    });

    it('given a repeated key creation, then the secret is never answered again nor stored', async () => {
      const headers = { 'idempotency-key': 'new-key-once' };
      const first = await api.call('POST', '/v1/api-keys', { body: { name: 'ci', role: 'viewer' }, headers });
      const second = await api.call('POST', '/v1/api-keys', {
        body: { name: 'ci', role: 'viewer' },
        headers,
      });
      expect(first.status).toBe(201);
      expect(second.status).toBe(409);
      expect(second.headers.get('location')).toBe(`/v1/api-keys/${String(first.body.id)}`);
      expect(JSON.stringify(second.body)).not.toContain(String(first.body.key).slice(-43));
      expect(JSON.stringify(await tableItems())).not.toContain(String(first.body.key).slice(-43));
      const keys = (await api.call('GET', '/v1/api-keys?limit=100')).body.items as { name: string }[];
      expect(keys.filter((key) => key.name === 'ci')).toHaveLength(1);
    });

    it('given a malformed key, then 400 naming the header', async () => {
      const answer = await api.call('POST', '/v1/users', { body: ada, headers: { 'idempotency-key': 'é' } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        { path: 'Idempotency-Key', message: expect.any(String) as string },
      ]);
    });

    it('given a repeated 4xx, then the same problem is answered again', async () => {
      const headers = { 'idempotency-key': 'bad-body' };
      const first = await api.call('POST', '/v1/users', {
        body: { ...ada, birthday: '1990-02-30' },
        headers,
      });
      const second = await api.call('POST', '/v1/users', {
        body: { ...ada, birthday: '1990-02-30' },
        headers,
      });
      expect(first.status).toBe(400);
      expect(second.body).toEqual(first.body);
    });
  });

  describe('ETag and If-Match', () => {
    it('given a stale If-Match, then 412 with the current ETag and the user is unchanged', async () => {
      const created = await api.call('POST', '/v1/users', { body: ada });
      const path = `/v1/users/${String(created.body.id)}`;
      const read = await api.call('GET', path);
      const etag = read.headers.get('etag') ?? '';
      expect(etag).toBe('"1"');

      const first = await api.call('PATCH', path, {
        body: { firstName: 'Augusta' },
        headers: { 'if-match': etag },
      });
      expect(first.status).toBe(200);
      const secondAdmin = await api.call('PATCH', path, {
        body: { firstName: 'Grace' },
        headers: { 'if-match': etag },
      });
      expect(secondAdmin.status).toBe(412);
      expect(secondAdmin.headers.get('etag')).toBe(first.headers.get('etag'));
      expect((await api.call('GET', path)).body.firstName).toBe('Augusta');
      expect((await api.call('DELETE', path, { headers: { 'if-match': etag } })).status).toBe(412);
      expect((await api.call('DELETE', path, { headers: { 'if-match': 'garbage' } })).status).toBe(412);
      expect((await api.call('GET', path)).status).toBe(200);
    });
  });

  describe('the audit log', () => {
    it('given admin writes, then each is listed with its key, before and after; filters narrow it', async () => {
      const created = await api.call('POST', '/v1/users', { body: { ...ada, lastName: 'Audited' } });
      const id = String(created.body.id);
      await api.call('PATCH', `/v1/users/${id}`, { body: { firstName: 'Augusta' } });
      await api.call('DELETE', `/v1/users/${id}`);

      const listed = await api.call('GET', `/v1/audit?resource=user&resourceId=${id}`);
      expect(listed.status).toBe(200);
      const entries = listed.body.items as Record<string, unknown>[];
      expect(entries.map((entry) => entry.action)).toEqual(['delete', 'update', 'create']);
      expect(entries.every((entry) => entry.keyId === 'bootstrap')).toBe(true);
      expect(entries[1]).toMatchObject({
        method: 'PATCH',
        status: 200,
        before: { firstName: 'Ada' },
        after: { firstName: 'Augusta' },
      });
      const page = await api.call('GET', `/v1/audit?resource=user&resourceId=${id}&limit=2`);
      const rest = await api.call(
        'GET',
        `/v1/audit?resource=user&resourceId=${id}&cursor=${String(page.body.nextCursor)}`,
      );
      expect([...(page.body.items as unknown[]), ...(rest.body.items as unknown[])]).toEqual(entries);
      expect(rest.body.nextCursor).toBeNull();
    });

    it('given a failed write (4xx), then nothing is audited', async () => {
      const before = (await api.call('GET', '/v1/audit?limit=100')).body.items;
      await api.call('POST', '/v1/users', { body: { ...ada, timezone: 'Mars/Olympus' } });
      expect((await api.call('GET', '/v1/audit?limit=100')).body.items).toEqual(before);
    });
  });

  describe('health, headers and CORS', () => {
    it('given the table and queues reachable, then /health/ready answers 200 with each check', async () => {
      const ready = await api.call('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: [
          { name: 'table', ok: true },
          { name: 'queue', ok: true },
          { name: 'dead-letter-queue', ok: true },
        ],
      });
      expect((await api.call('GET', '/health/ready', { apiKey: null })).status).toBe(401);
      expect((await api.call('GET', '/health', { apiKey: null })).status).toBe(200);
    });

    it('given a table that does not answer, then /health/ready answers 503 naming it', async () => {
      const broken = await startTestApi({
        clock,
        override: () => ({
          readiness: () =>
            Promise.resolve([{ name: 'table', ok: false, detail: 'ResourceNotFoundException' }]),
        }),
      });
      try {
        const answer = await broken.call('GET', '/health/ready');
        expect(answer.status).toBe(503);
        expect(answer.body.status).toBe('not-ready');
      } finally {
        await broken.stop();
      }
    });

    it('given any answer, then it carries x-request-id and the security headers', async () => {
      const answer = await api.call('GET', '/v1/nothing-here', { headers: { 'x-request-id': 'trace-me-1' } });
      expect(answer.status).toBe(404);
      expect(answer.headers.get('x-request-id')).toBe('trace-me-1');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });
  });
});
