import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Clock } from '#commons/clock';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from '#ports/webhook-sender';
import { parseRetryAfter } from '#domain/retry-policy';
import type { EndpointCheck, EndpointGuard } from './endpoint-guard';
import { secretsInEffect, signWebhookWithEach } from './signature';

export const WEBHOOK_USER_AGENT = 'Occasions-Webhooks/1.0';
/** How much of a response body is read at most: enough for an error page's first lines. */
export const MAX_RESPONSE_BYTES = 4096;
/** How much of it is kept in the attempt log. */
export const MAX_SNIPPET_CHARS = 512;
/** Keep-alive agents kept at most, one per checked address (see PinnedAgents). */
const MAX_AGENTS = 64;

interface RawResponse {
  statusCode: number;
  retryAfter: string | undefined;
  snippet: string | undefined;
}

/**
 * Sends one signed webhook with `node:http(s)` and classifies how it ended (CONTRACT section 5).
 * It never throws for anything the receiver or the network does: every such ending is an outcome
 * the use case can record and act on.
 *
 * With a `guard` (always, in the pipeline), the URL and every address its host resolves to are
 * checked first (docs/security.md), and the connection goes to the address that was checked: the
 * request's `lookup` returns it, so no second DNS answer can take its place, while the URL's host
 * name still gives the Host header, TLS SNI and the certificate check. A refused endpoint is a
 * permanent outcome without a status code. Without a guard every URL is trusted, as the operator's
 * own `WEBHOOK_URL` is.
 *
 * @example
 * const guard = new EndpointGuard({ policy, trustedUrls: [webhookUrl] });
 * const sender = new HttpWebhookSender({ clock: systemClock, guard });
 * const outcome = await sender.send({ url, webhookId, timestampSeconds, body, secret, timeoutMs: 10_000 });
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly clock: Clock;
  private readonly guard: EndpointGuard | undefined;
  private readonly agents: PinnedAgents;

  /**
   * @param deps.extraCaCertificates PEM certificates trusted besides Node's root CAs, for
   *   receivers whose certificate a private CA issued (the tests' own CA among them).
   */
  constructor(deps: { clock: Clock; guard?: EndpointGuard; extraCaCertificates?: readonly string[] }) {
    this.clock = deps.clock;
    this.guard = deps.guard;
    const extra = deps.extraCaCertificates ?? [];
    this.agents = new PinnedAgents(
      MAX_AGENTS,
      extra.length > 0 ? [...rootCertificates, ...extra] : undefined,
    );
  }

  async send(request: WebhookRequest): Promise<WebhookOutcome> {
    // Signed before the clock starts: a malformed secret is the caller's bug and throws.
    const secrets = secretsInEffect(request.secret, request.previousSecrets, this.clock.now());
    const signature = signWebhookWithEach(secrets, request.webhookId, request.timestampSeconds, request.body);
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    // Real elapsed time, not the injected clock: the local clock is simulated and may jump.
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);

    let url: URL;
    let pinned: { address: string; family: 4 | 6 } | undefined;
    if (this.guard) {
      let check: EndpointCheck;
      try {
        // The DNS lookup counts against the attempt's time like the request does.
        check = await untilAborted(this.guard.check(request.url), signal);
      } catch (error) {
        return {
          kind: 'retryable',
          error: describeRequestError(error, request, timeout),
          durationMs: elapsed(),
        };
      }
      if (check.kind === 'refused') return { kind: 'permanent', error: check.error, durationMs: elapsed() };
      if (check.kind === 'unresolved')
        return { kind: 'retryable', error: check.error, durationMs: elapsed() };
      url = check.url;
      pinned = check;
    } else {
      try {
        url = new URL(request.url);
      } catch {
        return { kind: 'permanent', error: 'webhook URL is not a valid absolute URL', durationMs: elapsed() };
      }
    }

    let response: RawResponse;
    try {
      response = await this.post(
        url,
        pinned,
        signal,
        {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(request.body)),
          'user-agent': WEBHOOK_USER_AGENT,
          'webhook-id': request.webhookId,
          'webhook-timestamp': String(request.timestampSeconds),
          'webhook-signature': signature,
        },
        request.body,
      );
    } catch (error) {
      return {
        kind: 'retryable',
        error: describeRequestError(error, request, timeout),
        durationMs: elapsed(),
      };
    }

    const { statusCode, snippet: responseSnippet } = response;
    const durationMs = elapsed();
    const base = { statusCode, durationMs, ...(responseSnippet ? { responseSnippet } : {}) };
    const retryAfterSeconds = parseRetryAfter(response.retryAfter ?? null, this.clock.now());
    const retryAfter = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };

    if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', ...base };
    if (statusCode === 429) return { kind: 'rate-limited', ...base, statusCode, ...retryAfter };
    if (statusCode >= 500) return { kind: 'retryable', error: `HTTP ${statusCode}`, ...base, ...retryAfter };
    if (statusCode >= 300 && statusCode < 400) {
      // A redirect is a configuration error on the receiver's side (Standard Webhooks: update the
      // URL instead); following it could also carry a signed payload to an unvetted host.
      // node:http never follows one by itself.
      return { kind: 'permanent', error: `HTTP ${statusCode}: redirects are not followed`, ...base };
    }
    return { kind: 'permanent', error: `HTTP ${statusCode}`, ...base };
  }

  /** One POST; resolves with the status once the start of the body is read, rejects on network errors. */
  private post(
    url: URL,
    pinned: { address: string; family: 4 | 6 } | undefined,
    signal: AbortSignal,
    headers: Record<string, string>,
    body: string,
  ): Promise<RawResponse> {
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const connection = pinned
      ? { lookup: pinnedLookup(pinned.address, pinned.family), agent: this.agents.for(https, pinned.address) }
      : { agent: this.agents.for(https, `name:${url.host}`) };
    return new Promise<RawResponse>((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, signal, ...connection }, (res) => {
        const retryAfter = res.headers['retry-after'];
        readSnippet(res).then(
          (snippet) => {
            resolve({ statusCode: res.statusCode ?? 0, retryAfter, snippet });
          },
          (error: unknown) => {
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** `work`, or a rejection as soon as `signal` aborts (the work itself cannot be cancelled). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(toError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(toError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', onAbort);
    });
  });
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * A `lookup` that answers with the address the guard checked, whatever the name. `net.connect`
 * asks for a list when it may try several families (Node's autoSelectFamily), a single address
 * otherwise. For an IP literal host it is not called at all.
 */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * One keep-alive agent per checked address: a pooled connection is only ever reused for requests
 * pinned to the address it was opened to, so connection reuse cannot smuggle a request to an
 * address a later check would refuse. Bounded: the least recently used agent is dropped, and
 * closed unless a request is still using it (its idle sockets then close with the server's
 * keep-alive timeout, and never hold the process open: Node unrefs idle pooled sockets).
 */
class PinnedAgents {
  private readonly agents = new Map<string, HttpAgent>();

  constructor(
    private readonly max: number,
    private readonly ca: string[] | undefined,
  ) {}

  /** `target`: the pinned address, or the host name of an unguarded request. */
  for(https: boolean, target: string): HttpAgent {
    const key = `${https ? 'https' : 'http'}|${target}`;
    let agent = this.agents.get(key);
    if (agent) {
      // Most recently used last, so eviction takes the least recently used.
      this.agents.delete(key);
    } else {
      agent = https
        ? new HttpsAgent({ keepAlive: true, ...(this.ca ? { ca: this.ca } : {}) })
        : new HttpAgent({ keepAlive: true });
    }
    this.agents.set(key, agent);
    const [oldestKey, oldest] = this.agents.entries().next().value ?? [];
    if (this.agents.size > this.max && oldestKey !== undefined && oldest) {
      this.agents.delete(oldestKey);
      if (Object.keys(oldest.sockets).length === 0) oldest.destroy();
    }
    return agent;
  }
}

/**
 * Reads at most MAX_RESPONSE_BYTES of the body and drops the rest, so a receiver that streams a
 * huge (or endless) body cannot hold the worker. Errors while reading are ignored: the status code
 * already decided the outcome.
 */
function readSnippet(res: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (): void => {
      res.removeListener('data', onData);
      if (total === 0) {
        resolve(undefined);
        return;
      }
      const bytes = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES);
      // A multi-byte character cut at the byte limit decodes to U+FFFD instead of throwing.
      resolve(new TextDecoder().decode(bytes).slice(0, MAX_SNIPPET_CHARS));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.byteLength;
      if (total >= MAX_RESPONSE_BYTES) {
        finish();
        // The rest is not wanted: close this connection rather than drain it.
        res.destroy();
      }
    };
    res.on('data', onData);
    res.once('end', finish);
    // Cut off or aborted: keep what arrived.
    res.on('error', finish);
    res.once('close', finish);
  });
}

function describeRequestError(error: unknown, request: WebhookRequest, timeout: AbortSignal): string {
  if (timeout.aborted) return `timeout after ${request.timeoutMs} ms`;
  if (request.signal?.aborted) return 'aborted: the invocation is ending';
  // node:http reports socket errors with their code (ECONNREFUSED, ECONNRESET, CERT_HAS_EXPIRED…).
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return `connection error: ${error.code}`;
  }
  return `connection error: ${error instanceof Error ? error.message : String(error)}`;
}
