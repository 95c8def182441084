import { performance } from 'node:perf_hooks';
import type { Clock } from '#commons/clock';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from '#ports/webhook-sender';
import { parseRetryAfter } from '#domain/retry-policy';
import { signWebhook } from './signature';

export const WEBHOOK_USER_AGENT = 'Occasions-Webhooks/1.0';
/** How much of a response body is read at most: enough for an error page's first lines. */
export const MAX_RESPONSE_BYTES = 4096;
/** How much of it is kept in the attempt log. */
export const MAX_SNIPPET_CHARS = 512;

/**
 * Sends one signed webhook with the global `fetch` and classifies how it ended (CONTRACT
 * section 5). It never throws for anything the receiver or the network does: every such ending is
 * an outcome the use case can record and act on.
 *
 * @example
 * const sender = new HttpWebhookSender({ clock: systemClock });
 * const outcome = await sender.send({ url, webhookId, timestampSeconds, body, secret, timeoutMs: 10_000 });
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly clock: Clock;

  constructor(deps: { clock: Clock }) {
    this.clock = deps.clock;
  }

  async send(request: WebhookRequest): Promise<WebhookOutcome> {
    // Signed before the clock starts: a malformed secret is the caller's bug and throws.
    const signature = signWebhook(request.secret, request.webhookId, request.timestampSeconds, request.body);
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    // Real elapsed time, not the injected clock: the local clock is simulated and may jump.
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);

    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          'webhook-id': request.webhookId,
          'webhook-timestamp': String(request.timestampSeconds),
          'webhook-signature': signature,
        },
        body: request.body,
        // A redirect is a configuration error on the receiver's side (Standard Webhooks: update the
        // URL instead); following it could also carry a signed payload to an unvetted host.
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      return { kind: 'retryable', error: describeFetchError(error, request, timeout), durationMs: elapsed() };
    }

    const statusCode = response.status;
    const responseSnippet = await readSnippet(response);
    const durationMs = elapsed();
    const base = { statusCode, durationMs, ...(responseSnippet ? { responseSnippet } : {}) };
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
    const retryAfter = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };

    if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', ...base };
    if (statusCode === 429) return { kind: 'rate-limited', ...base, statusCode, ...retryAfter };
    if (statusCode >= 500) return { kind: 'retryable', error: `HTTP ${statusCode}`, ...base, ...retryAfter };
    if (statusCode >= 300 && statusCode < 400) {
      return { kind: 'permanent', error: `HTTP ${statusCode}: redirects are not followed`, ...base };
    }
    return { kind: 'permanent', error: `HTTP ${statusCode}`, ...base };
  }
}

/**
 * Reads at most MAX_RESPONSE_BYTES of the body and drops the rest, so a receiver that streams a
 * huge (or endless) body cannot hold the worker. Errors while reading are ignored: the status code
 * already decided the outcome.
 */
async function readSnippet(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < MAX_RESPONSE_BYTES) {
      // Node's typings leave the chunk type open; undici always yields bytes.
      const chunk: { done: boolean; value?: unknown } = await reader.read();
      if (chunk.done || !(chunk.value instanceof Uint8Array)) break;
      const value = chunk.value;
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    // Body cut off or aborted: keep what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (total === 0) return undefined;
  const bytes = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES);
  // A multi-byte character cut at the byte limit decodes to U+FFFD instead of throwing.
  return new TextDecoder().decode(bytes).slice(0, MAX_SNIPPET_CHARS);
}

function describeFetchError(error: unknown, request: WebhookRequest, timeout: AbortSignal): string {
  if (timeout.aborted) return `timeout after ${request.timeoutMs} ms`;
  if (request.signal?.aborted) return 'aborted: the invocation is ending';
  // undici reports network failures as TypeError('fetch failed') with the socket error as cause.
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  if (code) return `connection error: ${code}`;
  const message =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `connection error: ${message}`;
}
