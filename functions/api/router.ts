import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HttpResponse } from './http';
import { ProblemError, problem } from './problem';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteRequest {
  event: APIGatewayProxyEvent;
  /** The `{name}` segments of the route's path, percent-decoded. */
  params: Readonly<Record<string, string>>;
  requestId: string;
}

export type RouteHandler = (request: RouteRequest) => Promise<HttpResponse>;

export interface Route {
  method: HttpMethod;
  /** A path template such as `/v1/users/{id}`; a `{name}` segment matches one non-empty segment. */
  path: string;
  handler: RouteHandler;
}

/**
 * Dispatches API Gateway REST proxy events by method and path. The router reads `event.path`
 * itself, so one `{proxy+}` integration (or the local adapter) serves every route the same way.
 *
 * @throws ProblemError 404 for an unknown path, 405 (with `Allow`) for a known path and another method
 */
export function createRouter(
  routes: readonly Route[],
): (event: APIGatewayProxyEvent, requestId: string) => Promise<HttpResponse> {
  const compiled = routes.map((route) => ({ ...route, segments: splitPath(route.path) }));

  return async (event, requestId) => {
    const segments = splitPath(event.path);
    const matches = compiled.flatMap((route) => {
      const params = matchSegments(route.segments, segments);
      return params ? [{ route, params }] : [];
    });
    if (matches.length === 0) {
      throw new ProblemError(problem('not-found', 'There is nothing at this path.'));
    }
    const match = matches.find(({ route }) => route.method === event.httpMethod.toUpperCase());
    if (!match) {
      const allowed = [...new Set(matches.map(({ route }) => route.method))].sort().join(', ');
      throw new ProblemError(
        problem('method-not-allowed', `${event.httpMethod} is not allowed here; use ${allowed}.`),
        { allow: allowed },
      );
    }
    return match.route.handler({ event, params: match.params, requestId });
  };
}

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
