import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, ProblemSchema } from './problem';
import { JSON_CONTENT_TYPE } from './http';
import { accessOf, type Route } from './router';

type JsonObject = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** Request schemas describe what clients send; response schemas what they get (after defaults). */
const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonObject => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const titleOf = (status: number): string =>
  Object.values(PROBLEM_KINDS).find((kind) => kind.status === status)?.title ?? 'Error';

/**
 * The OpenAPI 3.1 document of the admin API, built from the routes themselves: the same zod
 * schemas that validate requests describe them here, and access rules become security and
 * 401/403 answers, so the document cannot drift from the code.
 */
export function buildOpenApiDocument(routes: readonly Route[], info: OpenApiInfo): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    if (!route.doc) continue;
    const { doc } = route;
    const access = accessOf(route);
    const errorStatuses = new Set<number>(doc.errors ?? []);
    if (access !== 'public') {
      errorStatuses.add(401);
      errorStatuses.add(429);
    }
    if (access === 'admin') errorStatuses.add(403);

    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(doc.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(response.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: 'string' } },
                ]),
              ),
            }
          : {}),
        ...(response.schema
          ? {
              content: {
                [mediaTypeOf(JSON_CONTENT_TYPE)]: { schema: jsonSchemaOf(response.schema, 'output') },
              },
            }
          : {}),
      };
    }
    for (const status of [...errorStatuses].sort()) {
      responses[String(status)] ??= {
        description: titleOf(status),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
      };
    }

    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operation: JsonObject = {
      operationId: operationIdOf(route),
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      tags: [doc.tag],
      ...(access === 'public' ? { security: [] } : {}),
      ...(access === 'admin'
        ? { 'x-required-role': 'admin' }
        : { 'x-required-role': access === 'public' ? 'none' : 'viewer' }),
      parameters: [
        ...pathParameters,
        ...(doc.query ? queryParametersOf(doc.query) : []),
        ...(route.method === 'POST' ? [IDEMPOTENCY_PARAMETER] : []),
        ...(['PUT', 'PATCH', 'DELETE'].includes(route.method) ? [IF_MATCH_PARAMETER] : []),
      ],
      ...(doc.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchemaOf(doc.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/', description: 'The API itself (locally http://127.0.0.1:3000)' }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas: { Problem: jsonSchemaOf(ProblemSchema, 'output') },
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'ADMIN_API_KEY, or a key created at /v1/api-keys (role admin or viewer).',
        },
      },
    },
  };
}

const IDEMPOTENCY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'A repeat of this POST with the same key within 24 h returns the first answer and does nothing.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};
const IF_MATCH_PARAMETER = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The ETag read earlier; 412 when the resource changed since.',
  schema: { type: 'string' },
};

const mediaTypeOf = (contentType: string): string => contentType.split(';')[0] ?? contentType;

function queryParametersOf(schema: z.ZodType): JsonObject[] {
  const json = jsonSchemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

/** `GET /v1/users/{id}` → `getV1UsersById`: unique per method and path. */
function operationIdOf(route: Route): string {
  const words = route.path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment)?.[1];
      const word = parameter ? `by-${parameter}` : segment;
      return word
        .split(/[^A-Za-z0-9]+/)
        .filter((part) => part !== '')
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('');
    });
  return `${route.method.toLowerCase()}${words.join('')}`;
}
