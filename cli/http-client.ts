import { ApiError, ExitCode, UnreachableError, type Problem } from './errors';
import { backoffMs, retryAfterMs, type RetryPolicy } from './retry';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  /** Requests sent for this answer (more than 1 after a retry or a wait). */
  attempts: number;
  /**
   * Earlier tries of this request that may have reached the API and been applied: those that
   * failed on the network (a reset, a timeout) or answered 5xx. A 429 or a 409 "still running"
   * is not one: the API did nothing with that try. 0 means this answer is the only one the
   * request can have caused, so an Idempotency-Key replay is another run's first answer.
   */
  uncertainTries: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Makes a POST safe to retry: the API answers a repeat with the first answer. */
  idempotencyKey?: string;
  /** Statuses the caller handles itself (returned, not thrown); 2xx always are. */
  accept?: readonly number[];
}

export interface ApiClientConfig {
  /** The API's base URL, with the stage path if any (`https://…/prod`). */
  baseUrl: URL;
  /** Sent as `x-api-key` and nowhere else (never in a URL, a message or a log). */
  apiKey: string;
  userAgent: string;
  /** Per attempt; a slower answer counts as a network error. */
  timeoutMs: number;
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Real time, for HTTP-date Retry-After values. */
  wallClockMs: () => number;
  /** Told about each retry, to say why the command is waiting. */
  onRetry: (message: string) => void;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);

/**
 * The admin API over fetch: JSON in and out, `x-api-key`, problem+json errors turned into
 * {@link ApiError}, 429 waited out per Retry-After, 5xx and network errors retried with backoff
 * when the request is safe to repeat. Redirects are refused: following one would send the key
 * to wherever it points.
 */
export class ApiClient {
  constructor(private readonly config: ApiClientConfig) {}

  /** The URL of `path` (`/v1/dlq`) under the base URL, which may carry a stage prefix. */
  urlOf(path: string, query: RequestOptions['query'] = {}): URL {
    const base = this.config.baseUrl;
    const url = new URL(base.href);
    url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  async get<T>(
    path: string,
    options: Omit<RequestOptions, 'body' | 'idempotencyKey'> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  async post<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  async delete<T>(
    path: string,
    options: Omit<RequestOptions, 'body' | 'idempotencyKey'> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.urlOf(path, options.query);
    const safeToRepeat = IDEMPOTENT_METHODS.has(method) || options.idempotencyKey !== undefined;
    const { retry } = this.config;
    const what = `${method} ${path}`;
    let retries = 0;
    let rateLimitWaits = 0;
    let inProgressWaits = 0;
    let uncertainTries = 0;
    for (let attempts = 1; ; attempts += 1) {
      const outcome = await this.attempt(method, url, options);
      if (outcome.kind === 'network') {
        const { reason, transient } = outcome.failure;
        if (!transient || !safeToRepeat || retries >= retry.maxRetries) {
          throw new UnreachableError(url.href, reason);
        }
        const wait = backoffMs(retry, retries, this.config.random());
        retries += 1;
        uncertainTries += 1;
        this.config.onRetry(
          `${what}: ${reason}; retrying in ${seconds(wait)} (${retries}/${retry.maxRetries})`,
        );
        await this.config.sleep(wait);
        continue;
      }
      const { response } = outcome;
      const retryAfter = response.headers.get('retry-after');
      const wallClock = this.config.wallClockMs();
      // 429: the API did nothing yet; wait as long as it asks.
      if (response.status === 429 && rateLimitWaits < retry.maxRateLimitWaits) {
        const wait = retryAfterMs(retryAfter, wallClock, 1_000, retry.maxRetryAfterMs);
        rateLimitWaits += 1;
        await response.body?.cancel();
        this.config.onRetry(`${what}: rate limited (429); waiting ${seconds(wait)} as asked`);
        await this.config.sleep(wait);
        continue;
      }
      // 409 to an Idempotency-Key: an earlier try of this request is still running (say, one whose
      // answer timed out); its answer comes once it ends.
      const stillRunning =
        response.status === 409 && options.idempotencyKey !== undefined && retryAfter !== null;
      if (stillRunning && inProgressWaits < retry.maxInProgressWaits) {
        const wait = retryAfterMs(retryAfter, wallClock, 1_000, retry.maxRetryAfterMs);
        inProgressWaits += 1;
        await response.body?.cancel();
        if (inProgressWaits === 1)
          this.config.onRetry(`${what}: the API is still applying an earlier try; waiting for it`);
        await this.config.sleep(wait);
        continue;
      }
      if (RETRYABLE_STATUSES.has(response.status) && safeToRepeat && retries < retry.maxRetries) {
        const asked = retryAfter === null ? 0 : retryAfterMs(retryAfter, wallClock, 0, retry.maxRetryAfterMs);
        const wait = Math.max(backoffMs(retry, retries, this.config.random()), asked);
        retries += 1;
        uncertainTries += 1;
        await response.body?.cancel();
        this.config.onRetry(
          `${what}: HTTP ${response.status}; retrying in ${seconds(wait)} (${retries}/${retry.maxRetries})`,
        );
        await this.config.sleep(wait);
        continue;
      }
      return this.settle<T>(method, url, response, options.accept ?? [], { attempts, uncertainTries });
    }
  }

  private async attempt(
    method: string,
    url: URL,
    options: RequestOptions,
  ): Promise<{ kind: 'response'; response: Response } | { kind: 'network'; failure: NetworkFailure }> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      'user-agent': this.config.userAgent,
      'x-api-key': this.config.apiKey,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    try {
      const response = await fetch(url, {
        method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      return { kind: 'response', response };
    } catch (error) {
      return { kind: 'network', failure: networkFailure(error, this.config.timeoutMs) };
    }
  }

  private async settle<T>(
    method: string,
    url: URL,
    response: Response,
    accept: readonly number[],
    tries: Pick<ApiResponse<T>, 'attempts' | 'uncertainTries'>,
  ): Promise<ApiResponse<T>> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(
        url.href,
        `the answer broke off: ${networkFailure(error, this.config.timeoutMs).reason}`,
      );
    }
    const body = parseJson(text, response.headers.get('content-type'));
    if ((response.status >= 200 && response.status < 300) || accept.includes(response.status)) {
      return { status: response.status, headers: response.headers, body: body as T, ...tries };
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    const request = { method, url: url.href, requestId };
    const problem = isProblem(body) ? body : undefined;
    const message = describeFailure(response, problem, body, request);
    throw isUnknownGatewayRoute(response.status, body)
      ? new ApiError(response.status, problem, request, message, ExitCode.api)
      : new ApiError(response.status, problem, request, message);
  }
}

function describeFailure(
  response: Response,
  problem: Problem | undefined,
  body: unknown,
  request: { method: string; url: string; requestId: string | undefined },
): string {
  const where = `${request.method} ${request.url} answered ${response.status}`;
  const id = request.requestId ? ` (request id ${request.requestId})` : '';
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    return `${where}: a redirect${location ? ` to ${location}` : ''}; redirects are not followed (they would carry the API key along): use the final URL with --url`;
  }
  const lines: string[] = [];
  if (problem) {
    lines.push(`${problem.title ?? `HTTP ${response.status}`}: ${problem.detail ?? ''}`.trim());
    for (const error of problem.errors ?? []) lines.push(`  ${error.path}: ${error.message}`);
    if (response.status === 401) lines.push('Check the API key (--api-key or OCCASIONS_API_KEY).');
    if (response.status === 403)
      lines.push('This key may not do that (a viewer key can only read): use an admin key.');
  } else if (isGatewayMessage(body)) {
    // API Gateway's own answers ({"message": …}): its authorizer, or a route it does not know.
    const noRoute = isUnknownGatewayRoute(response.status, body);
    lines.push(`API Gateway says: ${body.message}`);
    if (noRoute) lines.push('No such route: does --url include the stage (…/prod)?');
    else if (response.status === 401 || response.status === 403)
      lines.push('Check the API key (--api-key or OCCASIONS_API_KEY).');
  } else {
    lines.push('Not an answer of the Occasions API: is --url right?');
  }
  lines.push(`${where}${id}`);
  return lines.join('\n');
}

/** API Gateway answers a path outside its routes (or its stage) 403 "Missing Authentication Token". */
function isUnknownGatewayRoute(status: number, body: unknown): boolean {
  return status === 403 && isGatewayMessage(body) && /missing authentication token/i.test(body.message);
}

function parseJson(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  if (!contentType || !/json/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('title' in value || 'detail' in value) &&
    'status' in value
  );
}

function isGatewayMessage(value: unknown): value is { message: string } {
  return (
    typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string'
  );
}

export interface NetworkFailure {
  reason: string;
  /**
   * Worth another try: a reset or a timeout may pass. A refused connection or an unknown host
   * fails at once (nothing is listening there; waiting would only hide it).
   */
  transient: boolean;
}

/** Why fetch failed, in words (undici puts the system error code in `cause`). */
export function networkFailure(error: unknown, timeoutMs: number): NetworkFailure {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { reason: `no answer within ${seconds(timeoutMs)}`, transient: true };
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return { reason: 'connection refused (is the service running there?)', transient: false };
    case 'ENOTFOUND':
      return { reason: 'unknown host (DNS lookup failed)', transient: false };
    case 'EAI_AGAIN':
      return { reason: 'DNS lookup failed for now', transient: true };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { reason: 'the connection was reset', transient: true };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { reason: 'the connection timed out', transient: true };
    case undefined:
      break;
    default:
      if (code.startsWith('ERR_TLS') || code.includes('CERT'))
        return { reason: `TLS failed (${code})`, transient: false };
      return { reason: `network error (${code})`, transient: true };
  }
  const message =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return { reason: `network error (${message})`, transient: true };
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
