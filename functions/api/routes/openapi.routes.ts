import { z } from 'zod';
import { json } from '../http';
import type { Route } from '../router';

export const OPENAPI_PATH = '/v1/openapi.json';

/** `GET /v1/openapi.json`: the document, built once from the routes (see openapi.ts). */
export function openApiRoutes(document: () => Record<string, unknown>): Route[] {
  return [
    {
      method: 'GET',
      path: OPENAPI_PATH,
      doc: {
        summary: 'This API as an OpenAPI 3.1 document',
        tag: 'meta',
        responses: { 200: { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
      },
      handler: () => Promise.resolve(json(200, document())),
    },
  ];
}
