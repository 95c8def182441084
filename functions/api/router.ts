import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import type { HttpResponse } from './http';
import { ProblemError, problem } from './problem';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Roles of API keys: `admin` may do everything, `viewer` only read (on-call). */
export type Role = 'admin' | 'viewer';

/** Who is calling, as the authorizer established it. */
export interface Principal {
  /** The API key's id (`bootstrap` for ADMIN_API_KEY); never the secret. */
  keyId: string;
  role: Role;
}

export interface RouteRequest {
  event: APIGatewayProxyEvent;
  /** The `{name}` segments of the route's path, percent-decoded. */
  params: Readonly<Record<string, string>>;
  requestId: string;
  /** Absent only on public routes (`/health`). */
  principal?: Principal;
}

export type RouteHandler = (request: RouteRequest) => Promise<HttpResponse>;

/**
 * Who may call a route. `public`: no key (liveness only); `viewer`: any valid key (reads);
 * `admin`: admin keys only (every write). Default: `viewer` for GET, `admin` otherwise.
 */
export type Access = 'public' | 'viewer' | 'admin';

/** One documented answer of a route; `schema` is the body (JSON Schema generated from zod). */
export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Response headers worth documenting, e.g. `{ location: 'The new user' }`. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * What the OpenAPI document says about a route. The same zod schemas that validate the request
 * are given here, so the document cannot drift from the code. Error answers (400, 401, 403, 404,
 * 409, 412, 413, 415, 429) are added from `errors`, all as problem+json.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Groups routes in the document (`users`, `notifications`, …). */
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Success answers by status code. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /** Error statuses this route can answer beyond 401/403/429, which every authenticated route has. */
  errors?: readonly number[];
}

export interface Route {
  method: HttpMethod;
  /** A path template such as `/v1/users/{id}`; a `{name}` segment matches one non-empty segment. */
  path: string;
  handler: RouteHandler;
  access?: Access;
  /** Required for every `/v1` route (a test checks); absent for `/_local` and `/health`. */
  doc?: RouteDoc;
}

/** The access a route needs: its own, or `viewer` for GET and `admin` for everything else. */
export const accessOf = (route: Pick<Route, 'method' | 'access'>): Access =>
  route.access ?? (route.method === 'GET' ? 'viewer' : 'admin');

export interface RouteMatch {
  route: Route;
  /** The `{name}` segments of the route's path, percent-decoded. */
  params: Readonly<Record<string, string>>;
}

/**
 * Finds the route of an API Gateway REST proxy event by method and path. The router reads
 * `event.path` itself, so one `{proxy+}` integration (or the local adapter) serves every route
 * the same way. The caller checks access and runs the handler.
 *
 * @throws ProblemError 404 for an unknown path, 405 (with `Allow`) for a known path and another method
 */
export function createRouter(
  routes: readonly Route[],
): (event: Pick<APIGatewayProxyEvent, 'path' | 'httpMethod'>) => RouteMatch {
  const compiled = routes.map((route) => ({ route, segments: splitPath(route.path) }));

  return (event) => {
    const segments = splitPath(event.path);
    const matches = compiled.flatMap(({ route, segments: template }) => {
      const params = matchSegments(template, segments);
      return params ? [{ route, params }] : [];
    });
    if (matches.length === 0) {
      throw new ProblemError(problem('not-found', 'There is nothing at this path.'));
    }
    const match = matches.find(({ route }) => route.method === event.httpMethod.toUpperCase());
    if (!match) {
      throw new ProblemError(
        problem(
          'method-not-allowed',
          `${event.httpMethod} is not allowed here; use ${allowedMethods(matches)}.`,
        ),
        { allow: allowedMethods(matches) },
      );
    }
    return match;
  };
}

const allowedMethods = (matches: readonly RouteMatch[]): string =>
  [...new Set(matches.map(({ route }) => route.method))].sort().join(', ');

/** `/v1/users/` and `/v1/users` are the same resource; empty segments are never meaningful. */
function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(
  template: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of template.entries()) {
    const segment = actual[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(expected)?.[1];
    if (name === undefined) {
      if (segment !== expected) return undefined;
      continue;
    }
    try {
      params[name] = decodeURIComponent(segment);
    } catch {
      return undefined; // a malformed escape names nothing: 404, not 500
    }
  }
  return params;
}
