import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
});

import { OperationsHarness, VIEWER_KEY, type Answer } from '../support/operations-harness';

const START = Date.parse('2025-06-10T02:00:00.000Z');
const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };
const grace = {
  firstName: 'Grace',
  lastName: 'Hopper',
  birthday: '1906-12-09',
  timezone: 'America/New_York',
};
const id = (n: number): string => `0190b000-0000-7000-8000-${String(n).padStart(12, '0')}`;

interface Result {
  index: number;
  op: string;
  status: number;
  id?: string;
  errors?: { path: string; message: string }[];
}

describe('bulk users through the admin API', () => {
  const harness = new OperationsHarness();

  beforeAll(async () => {
    await harness.start(START);
  });

  afterAll(async () => {
    await harness.stop();
  });

  const bulk = (items: unknown, apiKey?: string): Promise<Answer> =>
    harness.call('POST', '/v1/users/bulk', { body: { items }, ...(apiKey ? { apiKey } : {}) });

  const snapshot = async (): Promise<string> => {
    const { Items = [] } = await harness.table.doc.send(
      new ScanCommand({ TableName: harness.table.tableName, ConsistentRead: true }),
    );
    return JSON.stringify(
      Items.filter((item) => item.entity !== 'audit' && !String(item.pk).startsWith('AUDIT#'))
        .map((item) => JSON.stringify(item))
        .sort(),
    );
  };

  it('given mixed valid and invalid operations, when posted, then 200 with one result per operation in order and only the valid ones applied', async () => {
    const existing = await harness.call('POST', '/v1/users', { body: grace });
    const existingId = String(existing.body.id);

    const answer = await bulk([
      { op: 'create', user: ada },
      { op: 'create', user: { ...ada, birthday: '2030-01-01' } },
      { op: 'create', user: { ...ada, nickname: 'A' } },
      { op: 'upsert', id: id(1), user: ada },
      { op: 'upsert', id: existingId, user: { ...grace, firstName: 'Amazing Grace' } },
      { op: 'delete', id: id(404) },
      { op: 'create', id: existingId, user: ada },
      { op: 'rename', id: id(2) },
      { op: 'upsert', user: ada },
      { op: 'create' },
      { op: 'delete', id: id(3), user: ada },
      'not an object',
      { op: 'create', id: 'NOT-A-UUID', user: ada },
    ]);

    expect(answer.status).toBe(200);
    const results = answer.body.results as Result[];
    expect(results.map((result) => [result.index, result.status])).toEqual([
      [0, 201],
      [1, 400],
      [2, 400],
      [3, 201],
      [4, 200],
      [5, 404],
      [6, 409],
      [7, 400],
      [8, 400],
      [9, 400],
      [10, 400],
      [11, 400],
      [12, 400],
    ]);
    const paths = (index: number): string[] => results[index]?.errors?.map((error) => error.path) ?? [];
    expect(paths(1)).toEqual(['user.birthday']);
    expect(paths(2)).toEqual(['user.nickname']);
    expect(paths(7)).toEqual(['op']);
    expect(paths(8)).toEqual(['id']);
    expect(paths(9)).toEqual(['user']);
    expect(paths(10)).toEqual(['user']);
    expect(paths(12)).toEqual(['id']);
    expect(answer.body.summary).toEqual({ '200': 1, '201': 2, '400': 8, '404': 1, '409': 1 });

    const created = await harness.call('GET', `/v1/users/${String(results[0]?.id)}`);
    expect(created.body).toMatchObject({ ...ada, nextNotificationAt: '2025-12-10T09:00:00.000Z' });
    expect((await harness.call('GET', `/v1/users/${id(1)}`)).body).toMatchObject({ id: id(1), ...ada });
    expect((await harness.call('GET', `/v1/users/${existingId}`)).body).toMatchObject({
      firstName: 'Amazing Grace',
      version: 2,
    });
    const audit = await harness.call('GET', '/v1/audit?resource=user-bulk');
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        resource: 'user-bulk',
        action: 'command',
        keyId: 'admin-key',
        after: expect.objectContaining({ summary: answer.body.summary }) as unknown,
      }),
    ]);
  });

  it('given several operations on one id, when posted, then they run in their order', async () => {
    const answer = await bulk([
      { op: 'create', id: id(10), user: ada },
      { op: 'delete', id: id(10) },
      { op: 'upsert', id: id(10), user: grace },
      { op: 'upsert', id: id(10), user: ada },
    ]);
    expect((answer.body.results as Result[]).map((result) => result.status)).toEqual([201, 204, 201, 200]);
    expect((await harness.call('GET', `/v1/users/${id(10)}`)).body).toMatchObject({ ...ada, version: 2 });
  });

  it('given 1,000 creates (about 110 KB), when posted, then all are created', async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => ({
      op: 'create',
      user: { ...ada, firstName: `Bulk${i}` },
    }));
    const answer = await bulk(items);
    expect(answer.status).toBe(200);
    const results = answer.body.results as Result[];
    expect(results).toHaveLength(1_000);
    expect(results.every((result, index) => result.status === 201 && result.index === index)).toBe(true);
    expect(new Set(results.map((result) => result.id)).size).toBe(1_000);
  }, 120_000);

  it('given a body-level problem, when posted, then 400 naming it and nothing is written', async () => {
    const before = await snapshot();
    const tooMany = Array.from({ length: 1_001 }, () => ({ op: 'create', user: ada }));
    for (const [body, field] of [
      [{ items: tooMany }, 'items'],
      [{ items: [] }, 'items'],
      [{ items: 'all of them' }, 'items'],
      [{ items: [{ op: 'create', user: ada }], dryRun: true }, 'dryRun'],
      [[{ op: 'create', user: ada }], 'body'],
    ] as const) {
      const answer = await harness.call('POST', '/v1/users/bulk', { body });
      expect(answer.status, field).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect((answer.body.errors as { path: string }[]).map((error) => error.path)).toContain(field);
    }
    expect((await bulk([{ op: 'create', user: ada }], VIEWER_KEY)).status).toBe(403);
    expect(await snapshot()).toBe(before);
  });
});
