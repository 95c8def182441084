import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemKind } from '../functions/api/problem';

interface GatewayProblem {
  readonly type: apigateway.ResponseType;
  readonly kind: ProblemKind;
  /** null: keep API Gateway's own message (`$context.error.messageString`, already JSON-quoted). */
  readonly detail: string | null;
  /** Static response headers besides Content-Type and CORS, e.g. Retry-After. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** API Gateway's throttling refills every second; a client that waits one second gets a token. */
const RETRY_AFTER_SECONDS = '1';

/**
 * The answers API Gateway gives by itself (before or instead of the API function), so that every
 * error a client sees is `application/problem+json` with the same type URIs as
 * `functions/api/problem.ts`. Statuses follow the contract: no key or a wrong key 401, not allowed
 * 403, too large 413, throttled 429 with Retry-After. Exported for the tests.
 */
export const GATEWAY_PROBLEMS: readonly GatewayProblem[] = [
  {
    type: apigateway.ResponseType.UNAUTHORIZED,
    kind: 'unauthorized',
    detail: 'Send a valid API key in the x-api-key header.',
  },
  {
    type: apigateway.ResponseType.ACCESS_DENIED,
    kind: 'forbidden',
    detail: 'This API key may not call this route.',
  },
  {
    // REST APIs answer an unknown path (or a method a path does not have) with this, as a 403.
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    kind: 'not-found',
    detail: 'No such route: the admin API lives under /v1 (and /health).',
  },
  { type: apigateway.ResponseType.RESOURCE_NOT_FOUND, kind: 'not-found', detail: null },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    kind: 'payload-too-large',
    detail: 'The request is larger than API Gateway accepts (10 MB).',
  },
  { type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, kind: 'unsupported-media-type', detail: null },
  { type: apigateway.ResponseType.BAD_REQUEST_BODY, kind: 'validation-error', detail: null },
  { type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS, kind: 'validation-error', detail: null },
  {
    type: apigateway.ResponseType.THROTTLED,
    kind: 'too-many-requests',
    detail: 'Too many requests for this stage; retry after the number of seconds in Retry-After.',
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  },
  {
    type: apigateway.ResponseType.QUOTA_EXCEEDED,
    kind: 'too-many-requests',
    detail: 'Request quota exceeded; retry later.',
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  },
  {
    type: apigateway.ResponseType.WAF_FILTERED,
    kind: 'forbidden',
    detail: 'Blocked by the web application firewall (rate limit per client IP or a managed rule).',
  },
  {
    type: apigateway.ResponseType.AUTHORIZER_FAILURE,
    kind: 'internal-error',
    detail: 'The credentials could not be checked; try again. The request id is in x-amzn-RequestId.',
  },
  {
    type: apigateway.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    kind: 'internal-error',
    detail: 'The credentials could not be checked; try again. The request id is in x-amzn-RequestId.',
  },
  {
    type: apigateway.ResponseType.INTEGRATION_FAILURE,
    kind: 'bad-gateway',
    detail: 'The API function failed; try again. The request id is in x-amzn-RequestId.',
  },
  {
    type: apigateway.ResponseType.INTEGRATION_TIMEOUT,
    kind: 'bad-gateway',
    detail: 'The API function did not answer in time; try again.',
  },
  { type: apigateway.ResponseType.DEFAULT_4XX, kind: 'validation-error', detail: null },
  { type: apigateway.ResponseType.DEFAULT_5XX, kind: 'internal-error', detail: null },
];

/** The problem document as an API Gateway response template (Velocity; `$` only in `detail`). */
export function problemTemplate(kind: ProblemKind, detail: string | null): string {
  const { type, title, status } = problem(kind, '');
  const fixed = JSON.stringify({ type, title, status });
  const detailJson = detail === null ? '$context.error.messageString' : JSON.stringify(detail);
  return `${fixed.slice(0, -1)},"detail":${detailJson}}`;
}

/**
 * Adds {@link GATEWAY_PROBLEMS} to a REST API. With a CORS origin, API Gateway's own errors carry
 * the CORS headers too, or a browser console would see an opaque network error instead of a 401.
 *
 * @example
 * addProblemGatewayResponses(api, 'https://console.example.com');
 */
export function addProblemGatewayResponses(api: apigateway.RestApi, corsAllowOrigin?: string): void {
  const quote = (value: string) => `'${value}'`;
  for (const { type, kind, detail, headers } of GATEWAY_PROBLEMS) {
    const { status } = problem(kind, '');
    api.addGatewayResponse(`Problem${type.responseType}`, {
      type,
      statusCode: String(status),
      responseHeaders: {
        'Content-Type': quote(PROBLEM_CONTENT_TYPE),
        ...Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, quote(value)])),
        ...(corsAllowOrigin
          ? {
              'Access-Control-Allow-Origin': quote(corsAllowOrigin),
              'Access-Control-Expose-Headers': quote('retry-after,x-request-id'),
            }
          : {}),
      },
      templates: { 'application/json': problemTemplate(kind, detail) },
    });
  }
}
