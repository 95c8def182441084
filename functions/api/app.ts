import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Clock } from '#commons/clock';
import { ConflictError, NotFoundError, VersionMismatchError } from '#commons/errors';
import { createIdGenerator } from '#domain/ids';
import type { AuditLog } from '#ports/audit-log';
import type { IdempotencyStore } from '#ports/idempotency-store';
import { InvalidCursorError } from '#ports/user-repository';
import type { ManageApiKeys } from '#use-cases/manage-api-keys.use-case';
import { InvalidProfileError, type ManageUsers } from '#use-cases/manage-users.use-case';
import { consoleRoutes } from './console/console.routes';
import { corsHeaders, preflightHeaders, type CorsPolicy } from './cors';
import { etagOf, finalizeResponse, noContent, problemResponse, type HttpResponse } from './http';
import { runIdempotently } from './idempotency';
import { buildOpenApiDocument } from './openapi';
import { ProblemError, problem } from './problem';
import type { TokenBucketRateLimiter } from './rate-limiter';
import { accessOf, createRouter, type Principal, type Route, type RouteMatch } from './router';
import { apiKeyRoutes } from './routes/api-keys.routes';
import { auditRoutes } from './routes/audit.routes';
import { healthRoutes, type ReadinessProbe } from './routes/health.routes';
import { openApiRoutes } from './routes/openapi.routes';
import { operationsRoutes, type OperationsDeps } from './routes/operations.routes';
import { eventModelRoutes, type EventModelDeps } from './routes/event-model.routes';
import { replayRoutes } from './routes/replays.routes';
import { metricsRoutes } from './routes/metrics.routes';
import type { MetricsReader } from '#ports/metrics-reader';
import { privacyRoutes } from './routes/privacy.routes';
import type { UserPrivacy } from '#use-cases/user-privacy.use-case';
import type { ReplayWindow } from '#use-cases/replay-window.use-case';
import { userRoutes } from './routes/users.routes';

export interface ApiDeps {
  clock: Clock;
  manageUsers: ManageUsers;
  /** Event types, users' events, preferences, notification commands (issue 3). */
  eventModel?: EventModelDeps;
  /** Notification log, DLQ, circuit control, bulk users (issue 4). */
  operations?: OperationsDeps;
  /** Replay / recover (POST /v1/replays, issue 4); absent, no replay routes. */
  replays?: ReplayWindow;
  /** Export and erasure of one user (issue 3, item 7); absent, no privacy routes. */
  privacy?: UserPrivacy;
  /** The dashboard's series (GET /v1/metrics): CloudWatch in AWS, the recorder locally. */
  metrics: MetricsReader;
  apiKeys: ManageApiKeys;
  auditLog: AuditLog;
  idempotency: IdempotencyStore;
  readiness: ReadinessProbe;
  /** Per-key throttling (429 with Retry-After); none when absent. */
  rateLimiter?: TokenBucketRateLimiter;
  /** Origins allowed to call the API from a browser (the console); none when absent. */
  cors?: CorsPolicy;
  /** Where unexpected errors go; their details never reach the caller. */
  logError: (message: string, error: unknown) => void;
  /** Routes beyond the admin API's own, e.g. the local runtime's `/_local/*` (absent in AWS). */
  extraRoutes?: readonly Route[];
}

export type Api = (event: APIGatewayProxyEvent, requestId: string) => Promise<APIGatewayProxyResult>;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every route of the admin API; the OpenAPI document is built from the same list. */
export function apiRoutes(deps: ApiDeps): Route[] {
  const routes: Route[] = [
    ...healthRoutes(deps.readiness),
    ...userRoutes(deps.manageUsers),
    ...(deps.eventModel ? eventModelRoutes(deps.eventModel, deps.manageUsers) : []),
    ...(deps.operations ? operationsRoutes(deps.operations) : []),
    ...(deps.replays ? replayRoutes(deps.replays) : []),
    ...(deps.privacy ? privacyRoutes(deps.privacy, deps.clock) : []),
    ...metricsRoutes(deps.metrics, deps.clock),
    ...apiKeyRoutes(deps.apiKeys),
    ...auditRoutes(deps.auditLog, deps.clock),
  ];
  const documented = [...routes, ...openApiRoutes(() => document)];
  const document = buildOpenApiDocument(documented, OPENAPI_INFO);
  // The console (issue 7) is a web page, not part of the JSON API: served, never documented.
  return [...documented, ...consoleRoutes(), ...(deps.extraRoutes ?? [])];
}

export const OPENAPI_INFO = {
  title: 'Occasions admin API',
  version: '1.0.0',
  description:
    'Users and their dated events, notifications and their attempts, the dead-letter queue, replays, circuits, API keys and the audit log. Errors are application/problem+json (RFC 9457).',
};

/**
 * The admin API as one function of an API Gateway event: routing, access (401/403), per-key
 * throttling, Idempotency-Key, the audit log, errors as problem+json and common headers.
 */
export function createApi(deps: ApiDeps): Api {
  const match = createRouter(apiRoutes(deps));
  const newAuditId = createIdGenerator(deps.clock);

  const handle = async (event: APIGatewayProxyEvent, requestId: string): Promise<HttpResponse> => {
    if (event.httpMethod.toUpperCase() === 'OPTIONS') {
      return { ...noContent(), headers: preflightHeaders(deps.cors, event.headers) };
    }
    const { route, params } = match(event);
    const principal = checkAccess(route, principalOf(event));
    if (principal && deps.rateLimiter) {
      const waitSeconds = deps.rateLimiter.take(principal.keyId);
      if (waitSeconds > 0) {
        return problemResponse(
          problem('too-many-requests', `This API key is over its rate limit; retry in ${waitSeconds} s.`),
          { 'retry-after': String(waitSeconds) },
        );
      }
    }
    const run = (): Promise<HttpResponse> =>
      route
        .handler({ event, params, requestId, ...(principal ? { principal } : {}) })
        .catch((error: unknown) => errorResponse(error, deps.logError));
    const response =
      principal && route.method === 'POST'
        ? await runIdempotently({
            store: deps.idempotency,
            clock: deps.clock,
            event,
            keyId: principal.keyId,
            run,
          })
        : await run();
    if (principal && response.audit && WRITE_METHODS.has(route.method) && response.statusCode < 300) {
      const now = deps.clock.now();
      // The change is made: a failed audit write is logged (and alarmed on as an error), but
      // must not turn a done change into a 500 that invites the client to do it again.
      await deps.auditLog
        .record({
          id: newAuditId(),
          at: new Date(now).toISOString(),
          keyId: principal.keyId,
          requestId,
          method: route.method,
          path: event.path,
          status: response.statusCode,
          ...response.audit,
        })
        .catch((error: unknown) => {
          deps.logError('audit entry not written', error);
        });
    }
    return response;
  };

  return async (event, requestId) => {
    let response: HttpResponse;
    try {
      response = await handle(event, requestId);
    } catch (error) {
      response = errorResponse(error, deps.logError);
    }
    const { audit: _audit, oneTimeSecret: _oneTimeSecret, ...answer } = response;
    return finalizeResponse(
      { ...answer, headers: { ...answer.headers, ...corsHeaders(deps.cors, event.headers) } },
      requestId,
    );
  };
}

/**
 * The caller as the authorizer put it in the request context (`keyId`, `role`): API Gateway's
 * REQUEST authorizer in AWS, the local gateway stand-in in `npm start`.
 */
export function principalOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Principal | undefined {
  // Events built by hand (tests) may lack a request context; API Gateway's always has one.
  const requestContext = event.requestContext as APIGatewayProxyEvent['requestContext'] | undefined;
  const context: Record<string, unknown> | null | undefined = requestContext?.authorizer;
  const keyId = context?.keyId;
  const role = context?.role;
  if (typeof keyId !== 'string' || (role !== 'admin' && role !== 'viewer')) return undefined;
  return { keyId, role };
}

/** 401 without a principal, 403 for a viewer on a write; the gateway checks first, this is the backstop. */
function checkAccess(route: RouteMatch['route'], principal: Principal | undefined): Principal | undefined {
  const access = accessOf(route);
  if (access === 'public') return principal;
  if (!principal) {
    throw new ProblemError(problem('unauthorized', 'Send a valid API key in the x-api-key header.'));
  }
  if (access === 'admin' && principal.role !== 'admin') {
    throw new ProblemError(
      problem('forbidden', 'This API key has the viewer role; this route needs an admin key.'),
    );
  }
  return principal;
}

/** The use-case error taxonomy as problems; anything unknown is a 500 that says nothing more. */
function errorResponse(error: unknown, logError: ApiDeps['logError']): HttpResponse {
  if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
  if (error instanceof NotFoundError) {
    return problemResponse(problem('not-found', `There is no ${error.resource} with this id.`));
  }
  if (error instanceof ConflictError) {
    return problemResponse(
      problem('conflict', 'The resource kept changing concurrently; retry the request.'),
    );
  }
  if (error instanceof VersionMismatchError) {
    return problemResponse(
      problem(
        'precondition-failed',
        `The ${error.resource} is at version ${error.actual}; If-Match said ${error.expected}. Read it again.`,
      ),
      { etag: etagOf(error.actual) },
    );
  }
  if (error instanceof InvalidCursorError) {
    const message = 'cursor is not a nextCursor this service issued';
    return problemResponse(
      problem('validation-error', 'Invalid query: check cursor.', [{ path: 'cursor', message }]),
    );
  }
  if (error instanceof InvalidProfileError) {
    const fields = error.issues.map((issue) => issue.path).join(', ');
    return problemResponse(problem('validation-error', `Invalid body: check ${fields}.`, error.issues));
  }
  logError('unexpected error while handling a request', error);
  return problemResponse(problem('internal-error', 'Something went wrong on our side; it has been logged.'));
}
