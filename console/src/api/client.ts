import { ApiError } from './errors';
import { PendingKeys, requestIdentity } from './idempotency-keys';

/**
 * The admin API from the browser: relative URLs under the console's own base path (so the same
 * page works at `http://127.0.0.1:3000/console` and behind API Gateway at `/prod/console`), the
 * key in the `x-api-key` header and nowhere else, problem+json turned into {@link ApiError}.
 *
 * @example
 * const api = new ApiClient(basePathOf(location.pathname), key); // base-path.ts
 * const page = await api.get<Page<Notification>>('/v1/notifications', { status: 'failed' });
 * const answer = await api.post<RedriveAnswer>('/v1/dlq/redrive', { all: true });
 */
export class ApiClient {
  constructor(
    /** Everything before `/console` in the page's path: '' locally, '/prod' behind a stage. */
    private readonly basePath: string,
    private readonly apiKey: string,
  ) {}

  private readonly pendingKeys = new PendingKeys((error) => error instanceof ApiError && error.isDefinite());

  get<T>(path: string, query: Readonly<Record<string, string | undefined>> = {}): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  /**
   * Every POST carries an Idempotency-Key: the same one for a repeat of a request whose answer
   * never came (or said "try again"), so the API does it once; a fresh one otherwise (see
   * {@link PendingKeys}). The caller keeps its button disabled while the request runs.
   */
  post<T>(path: string, body: unknown, options: { ifMatch?: string } = {}): Promise<T> {
    return this.pendingKeys.send(requestIdentity('POST', path, body, options.ifMatch), (key) =>
      this.request<T>('POST', path, body, {
        'idempotency-key': key,
        ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
      }),
    );
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
