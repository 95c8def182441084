import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Powertools builds its Metrics at import: keep EMF lines out of the test output.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
});

import { ManualClock } from '#commons/clock';
import type { TestTable } from '../support/dynamodb';
import { TEST_ADMIN_KEY, startTestApi, type Answer, type Call, type TestApi } from '../support/test-api';

const API_KEY = TEST_ADMIN_KEY;
/** 07:30 in Asia/Kolkata (UTC+05:30): before that day's 09:00 local. */
const START = Date.parse('2025-06-10T02:00:00.000Z');
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

describe('the users API over HTTP', () => {
  let api: TestApi;
  let table: TestTable;
  const clock = new ManualClock(START);

  const call = (method: string, path: string, options?: Call): Promise<Answer> =>
    api.call(method, path, options);

  const createUser = async (profile: object = ada): Promise<Answer> => {
    const answer = await call('POST', '/v1/users', { body: profile });
    expect(answer.status).toBe(201);
    return answer;
  };

  const tableSnapshot = async (): Promise<string> => {
    const { Items = [] } = await table.doc.send(
      new ScanCommand({ TableName: table.tableName, ConsistentRead: true }),
    );
    return JSON.stringify(Items.map((item) => JSON.stringify(item)).sort());
  };

  const errorPaths = (answer: Answer): string[] =>
    (answer.body.errors as { path: string }[] | undefined)?.map((error) => error.path) ?? [];

  beforeAll(async () => {
    api = await startTestApi({ clock });
    table = api.table;
  });

  afterAll(async () => {
    await api.stop();
  });

  describe('CRUD', () => {
    it('given a valid profile, when POSTed, then 201 with the user, a Location and its next birthday', async () => {
      const answer = await createUser({ ...ada, firstName: '  Ada ' });

      expect(answer.body.id).toMatch(UUIDV7);
      expect(answer.body).toEqual({
        id: answer.body.id,
        firstName: 'Ada',
        lastName: 'Lovelace',
        birthday: '1990-12-10',
        timezone: 'Europe/London',
        createdAt: '2025-06-10T02:00:00.000Z',
        updatedAt: '2025-06-10T02:00:00.000Z',
        version: 1,
        nextNotificationAt: '2025-12-10T09:00:00.000Z',
        nextNotificationLocalDate: '2025-12-10',
      });
      expect(answer.headers.get('location')).toBe(`/v1/users/${String(answer.body.id)}`);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('given a user, when read, replaced, patched and deleted, then each answer reflects the change', async () => {
      const { body: created } = await createUser();
      const path = `/v1/users/${String(created.id)}`;

      expect(await call('GET', path)).toMatchObject({ status: 200, body: created });

      clock.advance(60_000);
      const replaced = await call('PUT', path, {
        body: {
          firstName: 'Grace',
          lastName: 'Hopper',
          birthday: '1990-12-09',
          timezone: 'America/New_York',
        },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({
        id: created.id,
        firstName: 'Grace',
        version: 2,
        createdAt: created.createdAt,
        updatedAt: '2025-06-10T02:01:00.000Z',
        nextNotificationAt: '2025-12-09T14:00:00.000Z',
        nextNotificationLocalDate: '2025-12-09',
      });

      const patched = await call('PATCH', path, { body: { lastName: 'Murray Hopper' } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        firstName: 'Grace',
        lastName: 'Murray Hopper',
        version: 3,
        nextNotificationAt: replaced.body.nextNotificationAt,
      });
      expect((await call('GET', path)).body).toEqual(patched.body);

      const deleted = await call('DELETE', path);
      expect(deleted.status).toBe(204);
      expect((await call('GET', path)).status).toBe(404);
      expect((await call('DELETE', path)).status).toBe(404);
      expect((await call('PATCH', path, { body: { firstName: 'Ghost' } })).status).toBe(404);
      clock.set(START);
    });

    it('given a user, when its time zone is patched, then it is rescheduled to 09:00 in the new zone', async () => {
      const { body } = await createUser();
      const patched = await call('PATCH', `/v1/users/${String(body.id)}`, {
        body: { timezone: 'Asia/Tokyo' },
      });
      expect(patched.body).toMatchObject({
        timezone: 'Asia/Tokyo',
        nextNotificationAt: '2025-12-10T00:00:00.000Z',
      });
    });

    it('given an id nobody has, when read, replaced or deleted, then 404 problem', async () => {
      const path = '/v1/users/01900000-0000-7000-8000-000000000000';
      for (const answer of [
        await call('GET', path),
        await call('PUT', path, { body: ada }),
        await call('DELETE', path),
      ]) {
        expect(answer.status).toBe(404);
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
        expect(answer.body).toMatchObject({ type: 'https://occasions.dev/problems/not-found', status: 404 });
      }
    });

    it.each(['not-a-uuid', '123', 'USER%23x', '%E0%A4%A', '01900000-0000-7000-8000-00000000000Z'])(
      'given the non-UUID id %s, when read, then 404 (never 400 or 5xx)',
      async (id) => {
        expect((await call('GET', `/v1/users/${id}`)).status).toBe(404);
        expect((await call('PATCH', `/v1/users/${id}`, { body: { firstName: 'x' } })).status).toBe(404);
      },
    );
  });

  describe('list', () => {
    it('given 25 more users, when paged by 10, then every user comes once, in creation order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 25; i += 1)
        ids.push(String((await createUser({ ...ada, firstName: `U${i}` })).body.id));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const answer = await call('GET', `/v1/users?limit=10${query}`);
        expect(answer.status).toBe(200);
        const items = answer.body.items as { id: string }[];
        expect(items.length).toBeLessThanOrEqual(10);
        seen.push(...items.map((item) => item.id));
        cursor = answer.body.nextCursor as string | null;
        pages += 1;
      } while (cursor !== null && pages < 20);

      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort());
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    });

    it('given no limit, when listed, then at most 20 items come back', async () => {
      const answer = await call('GET', '/v1/users');
      expect(answer.status).toBe(200);
      expect((answer.body.items as unknown[]).length).toBeLessThanOrEqual(20);
      expect(answer.body).toHaveProperty('nextCursor');
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=', 'limit'],
      ['cursor=tampered!', 'cursor'],
      [`cursor=${Buffer.from('{"v":1,"after":{"S":"x"}}').toString('base64url')}`, 'cursor'],
      ['cursor=', 'cursor'],
      ['sort=name', 'sort'],
    ])('given the query %s, when listed, then 400 naming %s', async (query, field) => {
      const answer = await call('GET', `/v1/users?${query}`);
      expect(answer.status).toBe(400);
      expect(errorPaths(answer)).toContain(field);
    });
  });

  describe('validation', () => {
    it.each([
      ['an impossible date', 'birthday', { ...ada, birthday: '2023-02-29' }],
      ['a date in another format', 'birthday', { ...ada, birthday: '10/12/1990' }],
      ['a date before 1900', 'birthday', { ...ada, birthday: '1899-12-31' }],
      ['a birthday in the future', 'birthday', { ...ada, birthday: '2030-01-01' }],
      ['an unknown time zone', 'timezone', { ...ada, timezone: 'Mars/Base' }],
      ['an offset instead of a zone', 'timezone', { ...ada, timezone: '+05:30' }],
      ['an unknown field', 'nickname', { ...ada, nickname: 'Countess' }],
      ['a read-only field', 'id', { ...ada, id: '01900000-0000-7000-8000-000000000000' }],
      ['a wrong type', 'firstName', { ...ada, firstName: 42 }],
      ['a missing field', 'lastName', { firstName: 'Ada', birthday: '1990-12-10', timezone: 'UTC' }],
      ['a blank name', 'lastName', { ...ada, lastName: '   ' }],
      ['a name too long', 'firstName', { ...ada, firstName: 'x'.repeat(101) }],
      ['an array', 'body', [ada]],
      ['null', 'body', null],
    ])('given %s, when POSTed, then 400 naming %s and nothing is stored', async (_case, field, body) => {
      const before = await tableSnapshot();
      const answer = await call('POST', '/v1/users', { body });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body).toMatchObject({
        type: 'https://occasions.dev/problems/validation-error',
        status: 400,
      });
      expect(errorPaths(answer)).toContain(field);
      const message = (answer.body.errors as { path: string; message: string }[]).find(
        (e) => e.path === field,
      );
      expect(message?.message).toContain(field);
      expect(await tableSnapshot()).toBe(before);
    });

    it('given a birthday that is today in the user zone but tomorrow in UTC, when POSTed, then accepted', async () => {
      // 02:00Z on 10 June is already 10 June in Kolkata; 11 June is still the future there.
      expect(
        (
          await call('POST', '/v1/users', {
            body: { ...ada, birthday: '2025-06-10', timezone: 'Asia/Kolkata' },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await call('POST', '/v1/users', {
            body: { ...ada, birthday: '2025-06-11', timezone: 'Asia/Kolkata' },
          })
        ).status,
      ).toBe(400);
    });

    it('given an empty object, when PATCHed, then 400', async () => {
      const { body } = await createUser();
      const answer = await call('PATCH', `/v1/users/${String(body.id)}`, { body: {} });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('https://occasions.dev/problems/validation-error');
    });

    it('given a PATCH with an unknown field, when sent, then 400 naming it', async () => {
      const { body } = await createUser();
      const answer = await call('PATCH', `/v1/users/${String(body.id)}`, {
        body: { firstName: 'A', age: 3 },
      });
      expect(answer.status).toBe(400);
      expect(errorPaths(answer)).toEqual(['age']);
    });
  });

  describe('transport', () => {
    it.each([
      ['text/plain', 415],
      ['application/x-www-form-urlencoded', 415],
      ['application/json; charset=latin1', 415],
      ['application/json; charset=UTF-8', 201],
      ['Application/JSON', 201],
    ])('given content-type %s, when POSTed, then %i', async (contentType, status) => {
      const answer = await call('POST', '/v1/users', {
        rawBody: JSON.stringify(ada),
        headers: { 'content-type': contentType },
      });
      expect(answer.status).toBe(status);
    });

    it('given no content-type, when POSTed, then 415', async () => {
      expect((await call('POST', '/v1/users', { rawBody: JSON.stringify(ada) })).status).toBe(415);
    });

    it('given a body over 64 KB, when POSTed, then 413 and nothing is stored', async () => {
      const before = await tableSnapshot();
      const answer = await call('POST', '/v1/users', { body: { ...ada, lastName: 'x'.repeat(70_000) } });
      expect(answer.status).toBe(413);
      expect(answer.body.type).toBe('https://occasions.dev/problems/payload-too-large');
      expect(answer.headers.get('x-request-id')).toBeTruthy();
      expect(await tableSnapshot()).toBe(before);
    });

    it.each(['{"firstName":', 'not json', '', '\u00ff'])(
      'given the malformed body %j, when POSTed, then 400',
      async (raw) => {
        const answer = await call('POST', '/v1/users', {
          rawBody: raw,
          headers: { 'content-type': 'application/json' },
        });
        expect(answer.status).toBe(400);
        expect(answer.body.type).toBe('https://occasions.dev/problems/malformed-json');
      },
    );

    it('given invalid UTF-8, when POSTed, then 400', async () => {
      const answer = await call('POST', '/v1/users', {
        rawBody: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.status).toBe(400);
    });

    it('given a known path and another method, then 405 with Allow', async () => {
      const answer = await call('DELETE', '/v1/users');
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, POST');
    });

    it('given an unknown path, then 404 problem', async () => {
      const answer = await call('GET', '/v2/things');
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    });
  });

  describe('authentication', () => {
    it.each([
      ['no key', null],
      ['a wrong key', 'wrong'],
      ['an empty key', ''],
    ])('given %s, when calling the API, then 401 problem and nothing happens', async (_case, apiKey) => {
      const before = await tableSnapshot();
      for (const [method, body] of [
        ['GET', undefined],
        ['POST', ada],
      ] as const) {
        const answer = await call(method, '/v1/users', { apiKey, body });
        expect(answer.status).toBe(401);
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
        expect(answer.body.type).toBe('https://occasions.dev/problems/unauthorized');
      }
      expect(await tableSnapshot()).toBe(before);
    });

    it('given no key, when GET /health, then 200 ok', async () => {
      const answer = await call('GET', '/health', { apiKey: null });
      expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    });
  });

  describe('x-request-id', () => {
    it('given a sane x-request-id, then it is echoed on success and on errors', async () => {
      for (const [method, path, apiKey] of [
        ['GET', '/v1/users', undefined],
        ['GET', '/v1/users/nope', undefined],
        ['GET', '/v1/users', null],
      ] as const) {
        const answer = await call(method, path, { apiKey, headers: { 'X-Request-Id': 'trace-123.abc_DEF' } });
        expect(answer.headers.get('x-request-id')).toBe('trace-123.abc_DEF');
      }
    });

    it.each([
      ['absent', undefined],
      ['too long', 'a'.repeat(129)],
      ['with odd characters', 'a b<script>'],
    ])('given an x-request-id %s, then a fresh one is generated', async (_case, requestId) => {
      const headers: Record<string, string> = requestId === undefined ? {} : { 'x-request-id': requestId };
      const first = await call('GET', '/health', { headers });
      const second = await call('GET', '/health', { headers });
      const id = first.headers.get('x-request-id');
      expect(id).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(id).not.toBe(requestId);
      expect(second.headers.get('x-request-id')).not.toBe(id);
    });
  });

  describe('schedule', () => {
    const kolkata = { ...ada, birthday: '1990-06-10', timezone: 'Asia/Kolkata' };

    it('given a birthday today before 09:00 local, when created, then due today at 09:00 local', async () => {
      clock.set(Date.parse('2025-06-10T02:00:00Z')); // 07:30 IST
      const { body } = await createUser(kolkata);
      expect(body).toMatchObject({
        nextNotificationAt: '2025-06-10T03:30:00.000Z',
        nextNotificationLocalDate: '2025-06-10',
      });
    });

    it('given a birthday today after 09:00 local, when created, then due next year', async () => {
      clock.set(Date.parse('2025-06-10T04:00:00Z')); // 09:30 IST
      const { body } = await createUser(kolkata);
      expect(body).toMatchObject({
        nextNotificationAt: '2026-06-10T03:30:00.000Z',
        nextNotificationLocalDate: '2026-06-10',
      });
      clock.set(START);
    });

    it('given a 29 February birthday, when created in a common year, then due on 28 February', async () => {
      const { body } = await createUser({ ...ada, birthday: '2000-02-29', timezone: 'UTC' });
      expect(body).toMatchObject({
        nextNotificationLocalDate: '2026-02-28',
        nextNotificationAt: '2026-02-28T09:00:00.000Z',
      });
    });
  });

  describe('hostile input (property-based)', () => {
    const fieldValue = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.constantFrom(
        '2023-02-29',
        '1990-01-01',
        '2999-01-01',
        'Mars/Base',
        'Europe/Paris',
        '',
        ' ',
        'x'.repeat(101),
      ),
    );
    const profileLike = fc.record(
      { firstName: fieldValue, lastName: fieldValue, birthday: fieldValue, timezone: fieldValue },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      profileLike.map((value) => JSON.stringify(value)),
      fc
        .tuple(profileLike, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }))
        .map(([profile, extra]) => JSON.stringify({ ...extra, ...profile })),
      fc.string(), // mostly not JSON at all
    );

    const assertNo5xxAndUnchangedOn4xx = async (method: string, path: string, raw: string): Promise<void> => {
      const before = await tableSnapshot();
      const answer = await fetch(`${api.baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: raw,
      });
      const text = await answer.text();
      expect(answer.status, `${method} ${raw} -> ${answer.status} ${text}`).toBeLessThan(500);
      if (answer.status >= 400) {
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
        expect(await tableSnapshot()).toBe(before);
      }
    };

    it('given random bodies, when POSTed, then never a 5xx and a 4xx changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(body, (raw) => assertNo5xxAndUnchangedOn4xx('POST', '/v1/users', raw)),
        { numRuns: 100 },
      );
    });

    it('given random bodies, when PATCHed onto a user, then never a 5xx and a 4xx changes nothing', async () => {
      const { body: user } = await createUser();
      await fc.assert(
        fc.asyncProperty(body, (raw) =>
          assertNo5xxAndUnchangedOn4xx('PATCH', `/v1/users/${String(user.id)}`, raw),
        ),
        { numRuns: 100 },
      );
    });
  });
});
