import { NotFoundError } from '#commons/errors';
import type { ManageApiKeys } from '#use-cases/manage-api-keys.use-case';
import { etagOf, expectedVersionOf, json, noContent, parseJsonBody, parseQuery } from '../http';
import type { Principal, Route, RouteRequest } from '../router';
import {
  ApiKeyListSchema,
  ApiKeySchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  ListApiKeysQuerySchema,
  toApiKeyJson,
} from '../schemas/api-key.schema';

export const API_KEYS_PATH = '/v1/api-keys';
const TAG = 'api-keys';
const KEY_ID = /^[0-9a-f]{32}$/;

function keyIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  if (!KEY_ID.test(id)) throw new NotFoundError('API key', id);
  return id;
}

/** Routes only run after access was checked, so a principal is always there. */
const callerOf = (request: RouteRequest): Principal =>
  request.principal ?? { keyId: 'unknown', role: 'viewer' };

/** `/v1/api-keys`: admins create (the secret is shown once), list and revoke keys. */
export function apiKeyRoutes(apiKeys: ManageApiKeys): Route[] {
  return [
    {
      method: 'POST',
      path: API_KEYS_PATH,
      doc: {
        summary: 'Create an API key',
        description: 'The answer is the only time the key itself is shown; only its hash is stored.',
        tag: TAG,
        body: CreateApiKeySchema,
        responses: {
          201: { description: 'Created', schema: CreatedApiKeySchema, headers: { location: 'The key' } },
        },
        errors: [400, 413, 415],
      },
      handler: async (request) => {
        const input = parseJsonBody(request.event, CreateApiKeySchema);
        const { apiKey, key } = await apiKeys.create(input, callerOf(request).keyId);
        const after = toApiKeyJson(apiKey);
        return {
          ...json(
            201,
            { ...after, key },
            { location: `${API_KEYS_PATH}/${apiKey.keyId}`, etag: etagOf(apiKey.version) },
          ),
          oneTimeSecret: true,
          audit: { resource: 'api-key', resourceId: apiKey.keyId, action: 'create', after },
        };
      },
    },
    {
      method: 'GET',
      path: API_KEYS_PATH,
      doc: {
        summary: 'List API keys',
        tag: TAG,
        query: ListApiKeysQuerySchema,
        responses: { 200: { description: 'One page, oldest first', schema: ApiKeyListSchema } },
        errors: [400],
      },
      handler: async ({ event }) => {
        const { limit, cursor } = parseQuery(event, ListApiKeysQuerySchema);
        const page = await apiKeys.list(limit, cursor);
        return json(200, { items: page.items.map(toApiKeyJson), nextCursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      path: `${API_KEYS_PATH}/{id}`,
      doc: {
        summary: 'Show an API key',
        tag: TAG,
        responses: { 200: { description: 'The key (without its secret)', schema: ApiKeySchema } },
        errors: [404],
      },
      handler: async (request) => {
        const key = await apiKeys.get(keyIdOf(request));
        return json(200, toApiKeyJson(key), { etag: etagOf(key.version) });
      },
    },
    {
      method: 'DELETE',
      path: `${API_KEYS_PATH}/{id}`,
      doc: {
        summary: 'Revoke an API key',
        description:
          'The key stops working at once (in AWS within the authorizer cache TTL) and stays listed as revoked.',
        tag: TAG,
        responses: { 204: { description: 'Revoked' } },
        errors: [404, 412],
      },
      handler: async (request) => {
        const { before, after } = await apiKeys.revoke(keyIdOf(request), expectedVersionOf(request.event));
        return {
          ...noContent(),
          audit: {
            resource: 'api-key',
            resourceId: before.keyId,
            action: 'delete',
            before: toApiKeyJson(before),
            after: toApiKeyJson(after),
          },
        };
      },
    },
  ];
}
