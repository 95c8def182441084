import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
});

import { DynamoOccurrenceLog } from '#adapters/dynamodb/dynamo-occurrence-log';
import { newOccurrence, type Occurrence, type OccurrenceStatus } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import { OperationsHarness, SHARDS, VIEWER_KEY, type Answer } from '../support/operations-harness';

const NOW = Date.parse('2027-04-10T12:00:00Z');
const HOUR = 3_600_000;
const STATUSES: OccurrenceStatus[] = ['delivered', 'failed', 'queued', 'retrying', 'cancelled', 'skipped'];
const TYPES = ['birthday', 'anniversary', 'reminder'];
const USERS = Array.from({ length: 5 }, (_, i) => `0190a000-0000-7000-8000-00000000000${i}`);

interface Item {
  id: string;
  scheduledFor: string;
  status: string;
  type: string;
  userId: string;
}

describe('the notification log over the log and user indexes', () => {
  const harness = new OperationsHarness();
  const seeded: Occurrence[] = [];

  beforeAll(async () => {
    await harness.start(NOW);
    // 150 notifications over January to April 2027 (four months, four shards), in groups of
    // five due at the very same instant, as everyone in one zone with one birthday is.
    const start = Date.parse('2027-01-20T09:00:00Z');
    for (let i = 0; i < 150; i += 1) {
      const scheduledFor = start + Math.floor(i / 5) * 61 * HOUR;
      const userId = USERS[i % USERS.length] ?? '';
      const eventKey = TYPES[i % TYPES.length] ?? 'birthday';
      const localDate = new Date(scheduledFor).toISOString().slice(0, 10);
      const base = newOccurrence(
        {
          occurrenceId: occurrenceId(userId, `${eventKey}-${i}`, localDate),
          userId,
          eventKey,
          localDate,
          timezone: 'UTC',
          scheduledFor,
          fingerprint: 'x',
        },
        scheduledFor,
        false,
      );
      const occurrence: Occurrence = { ...base, status: STATUSES[i % STATUSES.length] ?? 'queued' };
      expect(await harness.occurrences.create(occurrence)).toBe(true);
      seeded.push(occurrence);
    }
  }, 60_000);

  afterAll(async () => {
    await harness.stop();
  });

  const FULL_WINDOW = 'from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z';

  /** Every page of a listing, following nextCursor. */
  async function pageThrough(query: string, limit: number): Promise<{ items: Item[]; pages: number }> {
    const items: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const suffix: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const answer: Answer = await harness.call('GET', `/v1/notifications?${query}&limit=${limit}${suffix}`, {
        apiKey: VIEWER_KEY,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const page = answer.body.items as Item[];
      expect(page.length).toBeLessThanOrEqual(limit);
      items.push(...page);
      cursor = answer.body.nextCursor as string | null;
      pages += 1;
      expect(pages).toBeLessThan(200);
    } while (cursor !== null);
    return { items, pages };
  }

  const expectedIds = (keep: (occurrence: Occurrence) => boolean): string[] =>
    seeded.filter(keep).map((occurrence) => occurrence.occurrenceId);

  const expectNewestFirst = (items: readonly Item[]): void => {
    for (let i = 1; i < items.length; i += 1) {
      expect(Date.parse(items[i]?.scheduledFor ?? '')).toBeLessThanOrEqual(
        Date.parse(items[i - 1]?.scheduledFor ?? ''),
      );
    }
  };

  it('given notifications over four months and four shards, when paged by 7, then each comes exactly once, newest first', async () => {
    const { items, pages } = await pageThrough(FULL_WINDOW, 7);

    const ids = items.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expectedIds(() => true).sort());
    expectNewestFirst(items);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(150 / 7));
  });

  it('given a status, a type and a user filter, when paged, then exactly the matching ones come, once each', async () => {
    for (const [query, keep] of [
      ['status=failed', (o: Occurrence) => o.status === 'failed'],
      ['type=anniversary', (o: Occurrence) => o.eventKey === 'anniversary'],
      [`userId=${USERS[2] ?? ''}`, (o: Occurrence) => o.userId === USERS[2]],
      [
        `userId=${USERS[1] ?? ''}&status=queued`,
        (o: Occurrence) => o.userId === USERS[1] && o.status === 'queued',
      ],
    ] as const) {
      const { items } = await pageThrough(`${FULL_WINDOW}&${query}`, 4);
      const ids = items.map((item) => item.id);
      expect(new Set(ids).size, query).toBe(ids.length);
      expect([...ids].sort(), query).toEqual(expectedIds(keep).sort());
      expectNewestFirst(items);
    }
  });

  it('given a due-time range inside one month, when listed, then only notifications due in [from, to) come', async () => {
    const from = Date.parse('2027-02-03T00:00:00Z');
    const to = Date.parse('2027-02-20T09:00:00Z');
    const { items } = await pageThrough(
      `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      10,
    );
    expect(items.map((item) => item.id).sort()).toEqual(
      expectedIds((o) => o.scheduledFor >= from && o.scheduledFor < to).sort(),
    );
  });

  it('given a filter that matches little, when the adapter may examine only 5 keys per page, then pages may be short but nothing is lost', async () => {
    const log = new DynamoOccurrenceLog({
      client: harness.table.doc,
      tableName: harness.table.tableName,
      shards: SHARDS,
      maxExamined: 5,
    });
    const query = {
      from: Date.parse('2027-01-01T00:00:00Z'),
      to: Date.parse('2027-05-01T00:00:00Z'),
      status: 'skipped' as const,
      limit: 3,
    };
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await log.list({ ...query, ...(cursor === null ? {} : { cursor }) });
      ids.push(...page.items.map((item) => item.occurrenceId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(cursor).toBeNull();
    expect(ids.sort()).toEqual(expectedIds((o) => o.status === 'skipped').sort());
    expect(pages).toBeGreaterThan(10);
  });

  it('given a notification with attempts, when read, then it comes with every attempt, an ETag and no storage keys', async () => {
    const occurrence = seeded[1];
    if (!occurrence) throw new Error('no seed');
    await harness.occurrences.recordAttempt({
      occurrenceId: occurrence.occurrenceId,
      sequence: 1,
      at: occurrence.scheduledFor,
      durationMs: 143,
      outcome: 'retryable',
      statusCode: 503,
      error: 'HTTP 503',
      responseSnippet: 'busy',
      trigger: 'scheduled',
    });
    await harness.occurrences.recordAttempt({
      occurrenceId: occurrence.occurrenceId,
      sequence: 2,
      at: occurrence.scheduledFor + 5_000,
      durationMs: 20,
      outcome: 'permanent',
      statusCode: 400,
      trigger: 'manual',
    });
    // An attempt recorded before the trigger existed reads as scheduled.
    const { trigger: _trigger, ...legacy } = {
      occurrenceId: occurrence.occurrenceId,
      sequence: 3,
      at: occurrence.scheduledFor + 9_000,
      durationMs: 7,
      outcome: 'delivered' as const,
      statusCode: 204,
      trigger: 'scheduled' as const,
    };
    await harness.occurrences.recordAttempt(
      legacy as Parameters<typeof harness.occurrences.recordAttempt>[0],
    );

    const answer = await harness.call('GET', `/v1/notifications/${occurrence.occurrenceId}`, {
      apiKey: VIEWER_KEY,
    });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe(`"${occurrence.version}"`);
    expect(answer.body).toMatchObject({
      id: occurrence.occurrenceId,
      userId: occurrence.userId,
      type: occurrence.eventKey,
      scheduledFor: new Date(occurrence.scheduledFor).toISOString(),
      status: occurrence.status,
    });
    expect(answer.body.attempts).toEqual([
      {
        sequence: 1,
        at: new Date(occurrence.scheduledFor).toISOString(),
        durationMs: 143,
        outcome: 'retryable',
        statusCode: 503,
        error: 'HTTP 503',
        response: 'busy',
        trigger: 'scheduled',
      },
      {
        sequence: 2,
        at: new Date(occurrence.scheduledFor + 5_000).toISOString(),
        durationMs: 20,
        outcome: 'permanent',
        statusCode: 400,
        error: null,
        response: null,
        trigger: 'manual',
      },
      {
        sequence: 3,
        at: new Date(occurrence.scheduledFor + 9_000).toISOString(),
        durationMs: 7,
        outcome: 'delivered',
        statusCode: 204,
        error: null,
        response: null,
        trigger: 'scheduled',
      },
    ]);
    for (const key of ['pk', 'sk', 'logPk', 'userPk', 'watchPk', 'entity'])
      expect(answer.body).not.toHaveProperty(key);
  });

  it('given unknown or malformed ids, when read, then 404', async () => {
    expect((await harness.call('GET', `/v1/notifications/occ_${'0'.repeat(32)}`)).status).toBe(404);
    expect((await harness.call('GET', '/v1/notifications/OCC%23x')).status).toBe(404);
  });

  it('given bad filters, when listed, then 400 naming the parameter and nothing read', async () => {
    const cases: [string, string][] = [
      ['status=lost', 'status'],
      ['limit=0', 'limit'],
      ['from=yesterday', 'from'],
      ['userId=42', 'userId'],
      ['from=2027-03-01T00:00:00Z&to=2027-02-01T00:00:00Z', 'to'],
      ['from=2025-01-01T00:00:00Z&to=2027-01-02T00:00:00Z', 'to'],
      ['cursor=bm9wZQ', 'cursor'],
      ['colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const answer = await harness.call('GET', `/v1/notifications?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(
        (answer.body.errors as { path: string }[]).map((error) => error.path),
        query,
      ).toContain(field);
    }
  });

  it('given a cursor of one query, when used with another filter, then 400 on cursor', async () => {
    const first = await harness.call('GET', `/v1/notifications?${FULL_WINDOW}&limit=2`);
    const cursor = encodeURIComponent(String(first.body.nextCursor));
    const answer = await harness.call(
      'GET',
      `/v1/notifications?${FULL_WINDOW}&status=failed&limit=2&cursor=${cursor}`,
    );
    expect(answer.status).toBe(400);
    expect((answer.body.errors as { path: string }[])[0]?.path).toBe('cursor');
  });

  it('given no window, when listed, then the last 31 days up to a day from now', async () => {
    const { items } = await pageThrough('', 100);
    const from = NOW + 24 * HOUR - 31 * 24 * HOUR;
    expect(items.map((item) => item.id).sort()).toEqual(
      expectedIds((o) => o.scheduledFor >= from && o.scheduledFor < NOW + 24 * HOUR).sort(),
    );
  });

  it('given no window, when the clock moves between pages, then the next pages keep the first page’s window', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/notifications?limit=9${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await harness.call('GET', query);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      seen.push(...(page.body.items as Item[]).map((item) => item.id));
      cursor = page.body.nextCursor as string | null;
      harness.clock.set(harness.clock.now() + 7 * 60_000); // minutes pass while the operator reads
    } while (cursor !== null);
    harness.clock.set(NOW);
    const from = NOW + 24 * HOUR - 31 * 24 * HOUR;
    expect(seen.length).toBeGreaterThan(9);
    expect(seen.sort()).toEqual(
      expectedIds((o) => o.scheduledFor >= from && o.scheduledFor < NOW + 24 * HOUR).sort(),
    );
  });

  it('given an anchored cursor whose window was changed, then 400 on cursor', async () => {
    const first = await harness.call('GET', '/v1/notifications?limit=2');
    const cursor = String(first.body.nextCursor);
    const tampered = cursor.replace(/^\d+/, (to) => String(Number(to) - HOUR));
    const answer = await harness.call(
      'GET',
      `/v1/notifications?limit=2&cursor=${encodeURIComponent(tampered)}`,
    );
    expect(answer.status).toBe(400);
    expect((answer.body.errors as { path: string }[])[0]?.path).toBe('cursor');
  });

  it('given the stored items, then every occurrence carries its log and user index keys', async () => {
    const { Items = [] } = await harness.table.doc.send(
      new ScanCommand({ TableName: harness.table.tableName }),
    );
    const stored = Items.filter((item) => item.entity === 'occurrence');
    expect(stored).toHaveLength(150);
    for (const item of stored) {
      expect(item.logPk).toMatch(/^LOG#2027-0[1-4]#[0-3]$/);
      expect(item.userPk).toBe(`USER#${String(item.userId)}`);
    }
  });
});
