import { headerOf } from './http';

/**
 * CORS for the console: off unless origins are configured (`CORS_ALLOWED_ORIGINS`). Credentials
 * travel in the `x-api-key` header, never in cookies, so no `Allow-Credentials`.
 */
export interface CorsPolicy {
  allowedOrigins: readonly string[];
}

const ALLOWED_HEADERS = 'content-type, x-api-key, x-request-id, idempotency-key, if-match';
const EXPOSED_HEADERS = 'etag, location, retry-after, x-request-id, idempotent-replayed';

/** The CORS headers for a request's `Origin`, or none when it is not allowed. */
export function corsHeaders(
  policy: CorsPolicy | undefined,
  requestHeaders: Readonly<Record<string, string | undefined>> | null,
): Record<string, string> {
  const origin = headerOf(requestHeaders, 'origin');
  if (!policy || origin === undefined) return {};
  const allowed = policy.allowedOrigins.includes('*') || policy.allowedOrigins.includes(origin);
  if (!allowed) return {};
  return {
    'access-control-allow-origin': policy.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'origin',
  };
}

/** The answer to a preflight (`OPTIONS`) request. */
export function preflightHeaders(
  policy: CorsPolicy | undefined,
  requestHeaders: Readonly<Record<string, string | undefined>> | null,
): Record<string, string> {
  const headers = corsHeaders(policy, requestHeaders);
  if (Object.keys(headers).length === 0) return {};
  return {
    ...headers,
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
  };
}
