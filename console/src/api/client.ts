/**
 * The admin API from the browser: relative URLs under the console's own base path (so the same
 * page works at `http://127.0.0.1:3000/console` and behind API Gateway at `/prod/console`), the
 * key in the `x-api-key` header and nowhere else, problem+json turned into {@link ApiError}.
 *
 * @example
 * const api = new ApiClient(basePathOf(location.pathname), key); // base-path.ts
 * const page = await api.get<Page<Notification>>('/v1/notifications', { status: 'failed' });
 */
export class ApiClient {
  constructor(
    /** Everything before `/console` in the page's path: '' locally, '/prod' behind a stage. */
    private readonly basePath: string,
    private readonly apiKey: string,
  ) {}

  get<T>(path: string, query: Readonly<Record<string, string | undefined>> = {}): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  /**
   * `idempotencyKey` is made once per user action (see {@link newIdempotencyKey}): if the answer
   * is lost and the operator repeats the same action, the server does it only once.
   */
  post<T>(path: string, body: unknown, options: { idempotencyKey: string; ifMatch?: string }): Promise<T> {
    return this.request<T>('POST', path, body, {
      'idempotency-key': options.idempotencyKey,
      ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
    });
  }

  delete(path: string): Promise<void> {
    return this.request<undefined>('DELETE', path).then(() => undefined);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.basePath + path, {
        method,
        headers: {
          accept: 'application/json',
          'x-api-key': this.apiKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // The key travels in a header only; no cookies exist to send.
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'The API could not be reached', 'Check the connection and try again.');
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw ApiError.fromAnswer(response, parsed);
    return parsed as T;
  }
}

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

/**
 * A fresh Idempotency-Key for one user action. `crypto.randomUUID` needs a secure context
 * (https, or http on loopback); elsewhere the same 122 random bits come from getRandomValues.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function queryString(query: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, value);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
