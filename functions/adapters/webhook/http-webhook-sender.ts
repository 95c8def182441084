import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
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
/**
 * How long a pooled connection may sit idle before the sender closes it; a receiver's
 * `Keep-Alive: timeout=N` hint shortens it to N - 1 s. It is the agents' `timeout` option, and
 * Node 20 reads that hint only when the option is set: without it an idle connection stays pooled
 * until the receiver closes it, and a POST can be written to it just as it does (see `post`).
 * 4 s, undici's default: under the 5 s of Node's own servers, which announce it anyway.
 *
 * It cannot cut a request short, however long the request's own timeout (up to 60 s): Node arms
 * the same socket timer while a request is in flight, but there it only emits `timeout` on the
 * request and the response, which nothing here listens to; only an idle pooled socket is closed
 * by it (node's lib/_http_agent.js `onTimeout`, lib/_http_client.js `listenSocketTimeout`). The
 * request's AbortSignal alone bounds a request. Should a `timeout` listener ever be added here,
 * this value would have to be at least the longest webhook timeout.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 4_000;

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
   * @param deps.idleSocketTimeoutMs How long a pooled connection may stay idle; IDLE_SOCKET_TIMEOUT_MS
   *   unless given (the tests shorten it).
   */
  constructor(deps: {
    clock: Clock;
    guard?: EndpointGuard;
    extraCaCertificates?: readonly string[];
    idleSocketTimeoutMs?: number;
  }) {
    this.clock = deps.clock;
    this.guard = deps.guard;
    const extra = deps.extraCaCertificates ?? [];
    this.agents = new PinnedAgents(
      MAX_AGENTS,
      extra.length > 0 ? [...rootCertificates, ...extra] : undefined,
      deps.idleSocketTimeoutMs ?? IDLE_SOCKET_TIMEOUT_MS,
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

  /**
   * One POST; resolves with the status once the start of the body is read, rejects on network errors.
   *
   * A pooled keep-alive connection can be handed out just as the receiver closes it for being idle:
   * the request is then written to a closed connection and fails (ECONNRESET, "socket hang up",
   * EPIPE) without the receiver having seen it. Such a request, failed on a reused connection
   * before any byte of a response came back, is sent once more, on a new connection, with the
   * same headers (the same webhook-id, timestamp and signature) and within the same timeout and
   * signal: it is part of this attempt, not one of its own (Node's documented pattern, see
   * `request.reusedSocket`). Never after a byte of a response, never for a new connection, never
   * twice: the receiver may have seen those.
   */
  private async post(
    url: URL,
    pinned: { address: string; family: 4 | 6 } | undefined,
    signal: AbortSignal,
    headers: Record<string, string>,
    body: string,
  ): Promise<RawResponse> {
    const https = url.protocol === 'https:';
    const lookup = pinned ? { lookup: pinnedLookup(pinned.address, pinned.family) } : {};
    const pooled = this.agents.for(https, pinned ? pinned.address : `name:${url.host}`);
    try {
      return await postOnce(url, { agent: pooled, ...lookup }, signal, headers, body);
    } catch (error) {
      if (!(error instanceof StaleConnectionError)) throw error;
      if (signal.aborted) throw error.original;
    }
    // A one-off agent, so a new connection (to the same checked address: the same lookup), closed
    // after its one request (`Connection: close`) rather than pooled.
    try {
      return await postOnce(url, { agent: this.agents.oneOff(https), ...lookup }, signal, headers, body);
    } catch (error) {
      // A new connection is never reused, so this cannot be stale; unwrapped all the same.
      throw error instanceof StaleConnectionError ? error.original : error;
    }
  }
}

/** A request that a reused keep-alive connection failed before any byte of a response arrived. */
class StaleConnectionError extends Error {
  constructor(readonly original: Error) {
    super(original.message, { cause: original });
  }
}

/** Error codes of a connection the other side had closed: "socket hang up" is an ECONNRESET. */
const CLOSED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One request on one connection of `connection.agent`. Rejects with a StaleConnectionError when
 * the connection was a reused one that failed with CLOSED_CONNECTION_CODES before any byte of a
 * response arrived on it; with the error itself otherwise.
 */
function postOnce(
  url: URL,
  connection: { agent: HttpAgent; lookup?: LookupFunction },
  signal: AbortSignal,
  headers: Record<string, string>,
  body: string,
): Promise<RawResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<RawResponse>((resolve, reject) => {
    // Any byte of a response, even part of a status line, means the receiver saw the request.
    let answered = false;
    const onData = (): void => {
      answered = true;
    };
    let socket: Socket | undefined;
    const req = send(url, { method: 'POST', headers, signal, ...connection }, (res) => {
      answered = true;
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
    req.once('socket', (assigned: Socket) => {
      socket = assigned;
      // Before the HTTP parser's own listener, so a byte counts even when parsing it fails.
      assigned.prependListener('data', onData);
    });
    // Emitted once the request is done with the connection, before a pooled one is reused.
    req.once('close', () => {
      socket?.removeListener('data', onData);
    });
    req.on('error', (error: Error) => {
      const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
      const stale = req.reusedSocket && !answered && code !== undefined && CLOSED_CONNECTION_CODES.has(code);
      reject(stale ? new StaleConnectionError(error) : error);
    });
    req.end(body);
  });
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
 * closed unless a request is still using it (its idle sockets then close after the idle timeout,
 * and never hold the process open: Node unrefs idle pooled sockets).
 */
class PinnedAgents {
  private readonly agents = new Map<string, HttpAgent>();

  constructor(
    private readonly max: number,
    private readonly ca: string[] | undefined,
    /** The agents' `timeout`: see IDLE_SOCKET_TIMEOUT_MS. */
    private readonly idleTimeoutMs: number,
  ) {}

  /** An agent that opens a new connection for its one request and pools none. */
  oneOff(https: boolean): HttpAgent {
    return https
      ? new HttpsAgent({ keepAlive: false, ...(this.ca ? { ca: this.ca } : {}) })
      : new HttpAgent({ keepAlive: false });
  }

  /** `target`: the pinned address, or the host name of an unguarded request. */
  for(https: boolean, target: string): HttpAgent {
    const key = `${https ? 'https' : 'http'}|${target}`;
    let agent = this.agents.get(key);
    if (agent) {
      // Most recently used last, so eviction takes the least recently used.
      this.agents.delete(key);
    } else {
      const timeout = this.idleTimeoutMs;
      agent = https
        ? new HttpsAgent({ keepAlive: true, timeout, ...(this.ca ? { ca: this.ca } : {}) })
        : new HttpAgent({ keepAlive: true, timeout });
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
