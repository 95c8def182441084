import { AlreadyExistsError } from '#commons/errors';
import { EventModelError } from '#use-cases/event-model-errors';
import { ProblemError, problem } from '../problem';
import type { RouteHandler } from '../router';

/**
 * The event model's refusals as problems (400 naming the field, 409, 422); everything else goes
 * on to the app's own error mapping. Nothing was written when one of these is thrown.
 */
export function withEventModelProblems(handler: RouteHandler): RouteHandler {
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      if (error instanceof EventModelError) {
        const kind =
          error.kind === 'invalid'
            ? 'validation-error'
            : error.kind === 'conflict'
              ? 'conflict'
              : 'unprocessable';
        throw new ProblemError(
          problem(kind, error.message, error.issues.length > 0 ? error.issues : undefined),
        );
      }
      if (error instanceof AlreadyExistsError)
        throw new ProblemError(problem('conflict', `${error.message}.`));
      throw error;
    }
  };
}
