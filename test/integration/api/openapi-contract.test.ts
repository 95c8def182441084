import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Validator } from '@seriousme/openapi-schema-validator';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { format } from 'prettier';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
});

import { ManualClock } from '#commons/clock';
import { renderApiMarkdown } from '../../../scripts/render-api-markdown';
import { arbitraryFromSchema } from '../../support/json-schema-arbitrary';
import { startTestApi, type TestApi } from '../../support/test-api';

type JsonObject = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  operation: JsonObject;
}

const START = Date.parse('2026-03-01T10:00:00.000Z');
const ada = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

/**
 * The black-box view of the admin API: the served OpenAPI document is valid (checked by an
 * independent validator), and every operation it lists answers as documented: 401 without a
 * key, 403 for a viewer where it writes, only documented statuses, never a 5xx, and no change to
 * the store after a 4xx whatever body is sent.
 */
describe('the served OpenAPI document', () => {
  const clock = new ManualClock(START);
  let api: TestApi;
  let document: JsonObject;
  let operations: Operation[];
  let viewerKey: string;
  let userId: string;

  const tableSnapshot = async (): Promise<string[]> =>
    (
      (await api.table.doc.send(new ScanCommand({ TableName: api.table.tableName, ConsistentRead: true })))
        .Items ?? []
    )
      .map((item) => JSON.stringify(item))
      .sort();

  /** Concrete paths: the known user for `/v1/users/{id}…`, harmless values elsewhere. */
  const concrete = (path: string): string =>
    path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      if (name === 'id' && path.startsWith('/v1/users/')) return userId;
      if (name === 'key' || name === 'eventId') return 'birthday';
      return 'nothing-here';
    });

  const documentedStatuses = (operation: JsonObject): string[] =>
    Object.keys(operation.responses as JsonObject);
  const requestSchemaOf = (operation: JsonObject): JsonObject | undefined =>
    ((operation.requestBody as JsonObject | undefined)?.content as Record<string, JsonObject> | undefined)?.[
      'application/json'
    ]?.schema as JsonObject | undefined;

  beforeAll(async () => {
    api = await startTestApi({ clock });
    const served = await api.call('GET', '/v1/openapi.json');
    expect(served.status).toBe(200);
    document = served.body;
    operations = Object.entries(document.paths as Record<string, Record<string, JsonObject>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          operation,
        })),
    );
    viewerKey = (await api.call('POST', '/v1/api-keys', { body: { name: 'on-call', role: 'viewer' } })).body
      .key as string;
    userId = (await api.call('POST', '/v1/users', { body: ada })).body.id as string;
  });
  afterAll(async () => {
    await api.stop();
  });

  it('given the document, then an independent OpenAPI 3.1 validator accepts it', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('given the document, then it lists the routes of CONTRACT section 3 and the operations issue', () => {
    const listed = new Set(operations.map(({ method, path }) => `${method} ${path}`));
    for (const route of [
      'POST /v1/users',
      'GET /v1/users',
      'GET /v1/users/{id}',
      'PUT /v1/users/{id}',
      'PATCH /v1/users/{id}',
      'DELETE /v1/users/{id}',
      'GET /v1/openapi.json',
      'POST /v1/api-keys',
      'GET /v1/audit',
      'GET /health',
      'GET /health/ready',
    ]) {
      expect(listed).toContain(route);
    }
  });

  it('given docs/openapi.json, then it is the document the API serves (run npm run docs:openapi)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(document);
  });

  it('given docs/api.md, then it renders the document the API serves (run npm run docs:openapi)', async () => {
    const committed = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    expect(committed).toBe(await format(renderApiMarkdown(document), { parser: 'markdown' }));
  });

  it('given no API key, then every operation but GET /health answers 401 problem+json', async () => {
    for (const { method, path } of operations) {
      const answer = await api.call(method, concrete(path), {
        apiKey: null,
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      const expected = path === '/health' ? 200 : 401;
      expect({ route: `${method} ${path}`, status: answer.status }).toEqual({
        route: `${method} ${path}`,
        status: expected,
      });
    }
  });

  it('given a viewer key, then every write answers 403 and the store is unchanged; every read is allowed', async () => {
    const before = await tableSnapshot();
    for (const { method, path, operation } of operations) {
      const answer = await api.call(method, concrete(path), {
        apiKey: viewerKey,
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      const writes = operation['x-required-role'] === 'admin';
      expect({ route: `${method} ${path}`, forbidden: answer.status === 403 }).toEqual({
        route: `${method} ${path}`,
        forbidden: writes,
      });
    }
    expect(await tableSnapshot()).toEqual(before);
  });

  it('given an admin key, then every operation answers one of its documented statuses, never a 5xx', async () => {
    for (const { method, path, operation } of operations) {
      const answer = await api.call(method, concrete(path), {
        body: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(answer.status, `${method} ${path}`).toBeLessThan(500);
      expect(documentedStatuses(operation), `${method} ${path} answered ${answer.status}`).toContain(
        String(answer.status),
      );
    }
  });

  it('given random bodies derived from each schema, then never a 5xx, and after a 4xx the store is unchanged', async () => {
    for (const { method, path, operation } of operations) {
      const schema = requestSchemaOf(operation);
      if (!schema) continue;
      await fc.assert(
        fc.asyncProperty(arbitraryFromSchema(schema), async (body) => {
          const before = await tableSnapshot();
          const answer = await api.call(method, concrete(path), { body });
          expect(answer.status, `${method} ${path} with ${JSON.stringify(body)}`).toBeLessThan(500);
          if (answer.status >= 400) {
            expect(answer.headers.get('content-type')).toBe('application/problem+json');
            expect(await tableSnapshot(), `${method} ${path} with ${JSON.stringify(body)}`).toEqual(before);
          }
        }),
        { numRuns: 15, seed: 20261122 },
      );
    }
  });
});
