import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { headerOf } from './headers';
import { PROBLEM_CONTENT_TYPE, ProblemError, problem, validationProblem, type Problem } from './problem';

export { headerOf };

/** Largest accepted request body, in bytes (after base64 decoding). */
export const MAX_BODY_BYTES = 64 * 1024;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an admin write changed, for the audit log: the app records it with the caller's key id
 * once the route has answered 2xx. `before`/`after` are the resource as the API shows it.
 */
export interface AuditChange {
  /** The kind of resource (`user`, `event-type`, `api-key`, …). */
  resource: string;
  resourceId: string;
  action: 'create' | 'update' | 'delete' | 'command';
  before?: unknown;
  after?: unknown;
}

/** What a route answers; `finalizeResponse` turns it into the Lambda proxy result. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** Set by routes that change something; never sent to the client. */
  audit?: AuditChange;
  /**
   * The only security headers a route may set instead of the defaults, and only these two: a
   * route that serves something else than JSON (the console's page and assets) brings its own
   * CSP and caching. Security headers in `headers` are ignored, so no route relaxes them by
   * accident (a header copied from somewhere, a CORS helper).
   */
  securityHeaders?: Partial<Record<'cache-control' | 'content-security-policy', string>>;
  /**
   * The body holds a secret shown only this once (a new API key, a webhook secret): it must not
   * be kept anywhere, not even for an Idempotency-Key repeat.
   */
  oneTimeSecret?: boolean;
}

export const json = (
  statusCode: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
  body: JSON.stringify(value),
});

export const noContent = (): HttpResponse => ({ statusCode: 204, headers: {}, body: '' });

export const problemResponse = (
  details: Problem,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse => ({
  statusCode: details.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  body: JSON.stringify(details),
});

/**
 * Security headers of every answer: no caching or content sniffing of personal data, no framing,
 * no active content. A route may replace the CSP and the caching only, through `securityHeaders`.
 */
const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/**
 * Headers on every answer, errors included: the request id for support (always ours), and the
 * security headers (the defaults, or the route's `securityHeaders`, whatever `headers` says).
 */
export function finalizeResponse(response: HttpResponse, requestId: string): APIGatewayProxyResult {
  const headers = Object.fromEntries(
    Object.entries(response.headers).filter(([name]) => !(name.toLowerCase() in DEFAULT_SECURITY_HEADERS)),
  );
  return {
    statusCode: response.statusCode,
    headers: {
      ...headers,
      ...DEFAULT_SECURITY_HEADERS,
      ...response.securityHeaders,
      [REQUEST_ID_HEADER]: requestId,
    },
    body: response.body,
  };
}

/** The strong ETag of a stored version: `"<version>"`. */
export const etagOf = (version: number): string => `"${version}"`;

/**
 * The version an `If-Match` header insists on, for optimistic concurrency across admins:
 * `undefined` when absent or `*` (no precondition). Anything but one of our own ETags is a 412,
 * since no stored version can match it.
 */
export function expectedVersionOf(event: Pick<APIGatewayProxyEvent, 'headers'>): number | undefined {
  const presented = headerOf(event.headers, 'if-match')?.trim();
  if (presented === undefined || presented === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(presented);
  if (!match?.[1]) {
    throw new ProblemError(
      problem('precondition-failed', 'If-Match must be an ETag this service issued, such as "3".'),
    );
  }
  return Number(match[1]);
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The caller's `x-request-id` when it is a sane token (it ends up in logs and on the webhook),
 * otherwise a new one.
 */
export function requestIdOf(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  generate: () => string = randomUUID,
): string {
  const presented = headerOf(headers, REQUEST_ID_HEADER)?.trim();
  return presented !== undefined && SANE_REQUEST_ID.test(presented) ? presented : generate();
}

/** `application/json`, optionally with a UTF-8 charset (JSON is UTF-8 by RFC 8259). */
function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [mediaType = '', ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') return false;
  return parameters.every((parameter) => parameter === '' || /^charset="?utf-8"?$/.test(parameter));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body of a request, with the checks a gateway would do: size (413), content type
 * (415), encoding and syntax (400). Bodies may arrive base64-encoded (binary media types).
 */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  /** A route that takes more (bulk import) says so; everything else keeps the default. */
  maxBytes: number = MAX_BODY_BYTES,
): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > maxBytes) {
    throw new ProblemError(problem('payload-too-large', `The body must not exceed ${maxBytes} bytes.`));
  }
  if (!isJsonContentType(headerOf(event.headers, 'content-type'))) {
    throw new ProblemError(problem('unsupported-media-type', 'Send the body as application/json (UTF-8).'), {
      accept: 'application/json',
    });
  }
  if (bytes.byteLength === 0) throw new ProblemError(problem('malformed-json', 'The body is empty.'));
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'it is not valid UTF-8';
    throw new ProblemError(problem('malformed-json', `The body is not valid JSON: ${reason}`));
  }
}

/** The JSON body validated by `schema`; 400 naming every offending field otherwise. */
export function parseJsonBody<S extends z.ZodType>(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  schema: S,
): z.output<S> {
  const result = schema.safeParse(readJsonBody(event));
  if (!result.success) throw validationProblem(result.error.issues, 'body');
  return result.data;
}

/** The query string validated by `schema` (single values; API Gateway keeps the last of repeats). */
export function parseQuery<S extends z.ZodType>(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
  schema: S,
): z.output<S> {
  const result = schema.safeParse({ ...event.queryStringParameters });
  if (!result.success) throw validationProblem(result.error.issues, 'query');
  return result.data;
}
