import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ConflictError, NotFoundError, VersionMismatchError } from '#commons/errors';
import { InvalidCursorError } from '#ports/user-repository';
import { InvalidProfileError, type ManageUsers } from '#use-cases/manage-users.use-case';
import { etagOf, finalizeResponse, problemResponse, type HttpResponse } from './http';
import { ProblemError, problem } from './problem';
import { createRouter, type Route } from './router';
import { healthRoutes } from './routes/health.routes';
import { userRoutes } from './routes/users.routes';

export interface ApiDeps {
  manageUsers: ManageUsers;
  /** Where unexpected errors go; their details never reach the caller. */
  logError: (message: string, error: unknown) => void;
  /** Routes beyond the admin API's own, e.g. the local runtime's `/_local/*` (absent in AWS). */
  extraRoutes?: readonly Route[];
}

export type Api = (event: APIGatewayProxyEvent, requestId: string) => Promise<APIGatewayProxyResult>;

/** The admin API as one function of an API Gateway event: routing, errors, common headers. */
export function createApi(deps: ApiDeps): Api {
  const route = createRouter([
    ...healthRoutes(),
    ...userRoutes(deps.manageUsers),
    ...(deps.extraRoutes ?? []),
  ]);
  return async (event, requestId) => {
    let response: HttpResponse;
    try {
      response = await route(event, requestId);
    } catch (error) {
      response = errorResponse(error, deps.logError);
    }
    return finalizeResponse(response, requestId);
  };
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
