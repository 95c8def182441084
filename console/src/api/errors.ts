/*
 * The API's failures as the console shows them.
 */

/** A problem+json answer (RFC 9457), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly fieldErrors: readonly { path: string; message: string }[] = [],
    /** Seconds to wait before retrying (429), when the server said. */
    readonly retryAfter?: number,
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ApiError';
  }

  /**
   * Whether the API gave its answer to the request: a 4xx, which it also keeps for the request's
   * Idempotency-Key. Not definite: no answer (0), a 5xx (the API forgets the key), and a 4xx
   * with Retry-After (409 "still being processed", 429 rate limit): the outcome is still open.
   */
  isDefinite(): boolean {
    return this.status >= 400 && this.status < 500 && this.retryAfter === undefined;
  }

  static fromAnswer(response: Response, body: unknown): ApiError {
    const problem = isRecord(body) ? body : {};
    const title = typeof problem.title === 'string' ? problem.title : response.statusText || 'Error';
    const detail =
      typeof problem.detail === 'string' ? problem.detail : `The API answered ${response.status}.`;
    const errors = Array.isArray(problem.errors)
      ? problem.errors.filter(isRecord).map((error) => ({
          path: typeof error.path === 'string' ? error.path : '',
          message: typeof error.message === 'string' ? error.message : '',
        }))
      : [];
    const retryAfter = Number(response.headers.get('retry-after'));
    return new ApiError(
      response.status,
      title,
      detail,
      errors,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

/** An operator-facing sentence for any error an action raised. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const fields = error.fieldErrors.map((field) => `${field.path}: ${field.message}`).join('; ');
  const prefix = error.status === 0 ? '' : `${error.status} `;
  const explanation =
    error.status === 403
      ? ' Your key has the viewer role: it can read everything but change nothing.'
      : error.retryAfter === undefined
        ? ''
        : ` Retry in ${error.retryAfter} s.`;
  return `${prefix}${error.title}: ${error.detail}${fields ? ` (${fields})` : ''}${explanation}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
