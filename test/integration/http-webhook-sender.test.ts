import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import {
  HttpWebhookSender,
  IDLE_SOCKET_TIMEOUT_MS,
  MAX_SNIPPET_CHARS,
} from '#adapters/webhook/http-webhook-sender';
import { generateWebhookSecret, verifyWebhook } from '#adapters/webhook/signature';
import type { WebhookRequest } from '#ports/webhook-sender';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('HttpWebhookSender against a real HTTP receiver', () => {
  // The simulated clock is years away from the machine's: Retry-After dates use it.
  const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
  const secret = generateWebhookSecret();
  const sender = new HttpWebhookSender({ clock });
  const received: Received[] = [];
  let server: Server;
  let baseUrl: string;
  let closedPortUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        switch (path) {
          case '/ok':
            res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
            return;
          case '/no-content':
            res.writeHead(204).end();
            return;
          case '/bad-request':
            res.writeHead(400, { 'content-type': 'text/plain' }).end('é'.repeat(10_000));
            return;
          case '/not-found':
            res.writeHead(404).end('no such hook');
            return;
          case '/slow-down-seconds':
            res.writeHead(429, { 'retry-after': '120' }).end();
            return;
          case '/slow-down-date':
            res.writeHead(429, { 'retry-after': new Date(clock.now() + 90_000).toUTCString() }).end();
            return;
          case '/broken':
            res.writeHead(500).end('stack trace');
            return;
          case '/unavailable':
            res.writeHead(503, { 'retry-after': '30' }).end();
            return;
          case '/moved':
            res.writeHead(301, { location: '/ok' }).end();
            return;
          case '/endless':
            // Streams far more than the sender may read; it must stop early.
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.write('x'.repeat(64 * 1024));
            return;
          case '/hang':
            return; // never answers
          default:
            res.writeHead(418).end();
        }
      });
    });
    baseUrl = await listen(server);
    const closed = createServer();
    closedPortUrl = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (path: string, overrides: Partial<WebhookRequest> = {}) =>
    sender.send({
      url: `${baseUrl}${path}`,
      webhookId: `occ-${path.slice(1)}`,
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: JSON.stringify({ type: 'birthday', data: { path } }),
      secret,
      timeoutMs: 2_000,
      ...overrides,
    });
  const lastRequestTo = (path: string): Received => received.filter((r) => r.path === path).at(-1)!;

  it('given a receiver answering 200, when a webhook is sent, then it is delivered with signed Standard Webhooks headers', async () => {
    const outcome = await send('/ok');

    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200, responseSnippet: 'thanks' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    const request = lastRequestTo('/ok');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Occasions-Webhooks/1.0',
      'webhook-id': 'occ-ok',
      'webhook-timestamp': String(Math.floor(clock.now() / 1000)),
    });
    const signatureHeaders = {
      id: String(request.headers['webhook-id']),
      timestamp: String(request.headers['webhook-timestamp']),
      signature: String(request.headers['webhook-signature']),
    };
    expect(verifyWebhook(secret, signatureHeaders, request.body, Math.floor(clock.now() / 1000))).toBe(true);
  });

  it('given a receiver answering 204, when a webhook is sent, then it is delivered without a snippet', async () => {
    const outcome = await send('/no-content');

    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
    expect(outcome.responseSnippet).toBeUndefined();
  });

  it('given a 400 with a long body, when sent, then it is permanent and the snippet is cut to 512 characters', async () => {
    const outcome = await send('/bad-request');

    expect(outcome).toMatchObject({ kind: 'permanent', statusCode: 400, error: 'HTTP 400' });
    expect(outcome.responseSnippet).toHaveLength(MAX_SNIPPET_CHARS);
    expect(outcome.responseSnippet).toBe('é'.repeat(MAX_SNIPPET_CHARS));
  });

  it('given a 404, when sent, then it is a permanent failure', async () => {
    expect(await send('/not-found')).toMatchObject({
      kind: 'permanent',
      statusCode: 404,
      responseSnippet: 'no such hook',
    });
  });

  it('given a 429 with Retry-After in seconds, when sent, then it is rate-limited with that delay', async () => {
    expect(await send('/slow-down-seconds')).toMatchObject({
      kind: 'rate-limited',
      statusCode: 429,
      retryAfterSeconds: 120,
    });
  });

  it('given a 429 with Retry-After as an HTTP-date, when sent, then the delay is counted from the injected clock', async () => {
    expect(await send('/slow-down-date')).toMatchObject({
      kind: 'rate-limited',
      statusCode: 429,
      retryAfterSeconds: 90,
    });
  });

  it('given a 500, when sent, then it is retryable', async () => {
    expect(await send('/broken')).toMatchObject({
      kind: 'retryable',
      statusCode: 500,
      error: 'HTTP 500',
      responseSnippet: 'stack trace',
    });
  });

  it('given a 503 with Retry-After, when sent, then it is retryable and carries the delay', async () => {
    expect(await send('/unavailable')).toMatchObject({
      kind: 'retryable',
      statusCode: 503,
      retryAfterSeconds: 30,
    });
  });

  it('given a 301 redirect, when sent, then it is a permanent failure and the redirect is not followed', async () => {
    const before = received.filter((r) => r.path === '/ok').length;

    const outcome = await send('/moved');

    expect(outcome).toMatchObject({ kind: 'permanent', statusCode: 301 });
    expect(received.filter((r) => r.path === '/ok')).toHaveLength(before);
  });

  it('given a receiver streaming an endless body, when sent, then only the start is read and the outcome returns', async () => {
    const outcome = await send('/endless');

    expect(outcome).toMatchObject({ kind: 'retryable', statusCode: 500 });
    expect(outcome.responseSnippet).toBe('x'.repeat(MAX_SNIPPET_CHARS));
  });

  it('given a receiver that never answers, when the timeout passes, then the attempt is retryable as a timeout', async () => {
    const outcome = await send('/hang', { timeoutMs: 300 });

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'timeout after 300 ms' });
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
    expect(outcome.durationMs).toBeLessThan(2_000);
  });

  it('given the invocation signal aborts, when a request is in flight, then it stops and is retryable', async () => {
    const invocation = new AbortController();
    setTimeout(() => {
      invocation.abort();
    }, 50);

    const outcome = await send('/hang', { signal: invocation.signal, timeoutMs: 5_000 });

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'aborted: the invocation is ending' });
    expect(outcome.durationMs).toBeLessThan(2_000);
  });

  it('given nothing listens on the port, when sent, then it is a retryable connection error', async () => {
    const outcome = await sender.send({
      url: `${closedPortUrl}/hook`,
      webhookId: 'occ-refused',
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: '{}',
      secret,
      timeoutMs: 2_000,
    });

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'connection error: ECONNREFUSED' });
  });
});

/**
 * How a receiver treats one request. `drop`: it closes the connection as soon as the request
 * reaches it, unread, as a server does that closes an idle keep-alive connection just as a
 * request is written to it; the request is not recorded as received. The others read and record
 * the request first: `reset` then closes without answering, `partial-head` sends the start of a
 * status line and closes, `cut-body` sends a 500's head and part of its body and closes, `hang`
 * never answers, `{ delayMs }` answers 200 that much later, `ok` answers 200 at once.
 */
type Reply = 'ok' | 'drop' | 'reset' | 'partial-head' | 'cut-body' | 'hang' | { delayMs: number };

interface Receiver {
  url: string;
  server: Server;
  /** Requests read, in order. */
  received: Received[];
  /** Headers of the requests dropped unread. */
  dropped: IncomingHttpHeaders[];
  /** Connections accepted, in order; `closedAt` is set (performance.now()) when one closes. */
  connections: { socket: Socket; closedAt?: number }[];
}

describe('HttpWebhookSender over pooled keep-alive connections', () => {
  const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
  const secret = generateWebhookSecret();
  const servers: Server[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** `reply(n)` decides the n-th request the receiver gets (1 for the first, on any connection). */
  const receiver = async (reply: (n: number) => Reply): Promise<Receiver> => {
    const received: Received[] = [];
    const dropped: IncomingHttpHeaders[] = [];
    const connections: Receiver['connections'] = [];
    let count = 0;
    const readBody = (req: IncomingMessage): Promise<void> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          received.push({
            path: req.url ?? '/',
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          resolve();
        });
      });
    const server = createServer((req, res) => {
      count += 1;
      const how = reply(count);
      if (how === 'drop') {
        dropped.push(req.headers);
        req.socket.destroy();
        return;
      }
      void readBody(req).then(() => {
        if (how === 'ok') res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        else if (how === 'reset') req.socket.destroy();
        else if (how === 'partial-head') req.socket.end('HTTP/1.1 200 OK\r\ncontent-');
        else if (how === 'cut-body') {
          res.writeHead(500, { 'content-type': 'text/plain', 'content-length': '1000' });
          res.write('stack', () => req.socket.destroy());
        } else if (how !== 'hang') {
          setTimeout(() => res.writeHead(200).end('late thanks'), how.delayMs);
        }
      });
    });
    server.on('connection', (socket: Socket) => {
      const connection: Receiver['connections'][number] = { socket };
      connections.push(connection);
      socket.once('close', () => {
        connection.closedAt = performance.now();
      });
    });
    servers.push(server);
    return { url: await listen(server), server, received, dropped, connections };
  };

  const sendTo = (sender: HttpWebhookSender, to: Receiver, webhookId: string, timeoutMs = 2_000) =>
    sender.send({
      url: `${to.url}/hook`,
      webhookId,
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: JSON.stringify({ type: 'birthday', data: { webhookId } }),
      secret,
      timeoutMs,
    });
  const withId = (to: Receiver, webhookId: string): Received[] =>
    to.received.filter((r) => r.headers['webhook-id'] === webhookId);
  const closeOf = (connection: Receiver['connections'][number]): Promise<number> =>
    new Promise((resolve) => {
      if (connection.closedAt !== undefined) resolve(connection.closedAt);
      else
        connection.socket.once('close', () => {
          resolve(performance.now());
        });
    });

  it('given the receiver closes a pooled connection as the next POST reaches it, when sent, then it is sent again on a new connection and delivered once', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver((n) => (n === 2 ? 'drop' : 'ok'));
    expect(await sendTo(sender, to, 'occ-first')).toMatchObject({ kind: 'delivered' });

    const outcome = await sendTo(sender, to, 'occ-stale');

    expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200, responseSnippet: 'thanks' });
    // The request went out on the pooled connection, which the receiver closed unread...
    expect(to.dropped).toHaveLength(1);
    expect(to.dropped[0]?.['webhook-id']).toBe('occ-stale');
    // ...and once more on a second connection, where it was received, with the same signed headers.
    expect(to.connections).toHaveLength(2);
    const delivered = withId(to, 'occ-stale');
    expect(delivered).toHaveLength(1);
    const [request] = delivered;
    for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(request?.headers[header]).toBe(to.dropped[0]?.[header]);
    }
    const signatureHeaders = {
      id: String(request?.headers['webhook-id']),
      timestamp: String(request?.headers['webhook-timestamp']),
      signature: String(request?.headers['webhook-signature']),
    };
    expect(verifyWebhook(secret, signatureHeaders, request?.body ?? '', Math.floor(clock.now() / 1000))).toBe(
      true,
    );
  });

  it('given the second connection fails too, when sent, then it is not sent a third time and the attempt is retryable', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver((n) => (n === 1 ? 'ok' : n === 2 ? 'drop' : 'reset'));
    await sendTo(sender, to, 'occ-first');

    const outcome = await sendTo(sender, to, 'occ-twice');

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'connection error: ECONNRESET' });
    expect(outcome.statusCode).toBeUndefined();
    expect(to.dropped).toHaveLength(1);
    expect(withId(to, 'occ-twice')).toHaveLength(1);
    expect(to.connections).toHaveLength(2);
  });

  it('given the second connection never answers, when the timeout passes, then both sends together stayed within it', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver((n) => (n === 1 ? 'ok' : n === 2 ? 'drop' : 'hang'));
    await sendTo(sender, to, 'occ-first');

    const outcome = await sendTo(sender, to, 'occ-late', 300);

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'timeout after 300 ms' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
    expect(outcome.durationMs).toBeLessThan(2_000);
    expect(to.dropped).toHaveLength(1);
    expect(withId(to, 'occ-late')).toHaveLength(1);
    expect(to.connections).toHaveLength(2);
  });

  it('given a new connection closed before any answer, when sent, then it is not sent again', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver(() => 'reset');

    const outcome = await sendTo(sender, to, 'occ-fresh');

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'connection error: ECONNRESET' });
    expect(withId(to, 'occ-fresh')).toHaveLength(1);
    expect(to.connections).toHaveLength(1);
  });

  it('given a pooled connection closed after part of a status line, when sent, then it is not sent again', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver((n) => (n === 2 ? 'partial-head' : 'ok'));
    await sendTo(sender, to, 'occ-first');

    const outcome = await sendTo(sender, to, 'occ-partial');

    expect(outcome).toMatchObject({ kind: 'retryable', error: 'connection error: ECONNRESET' });
    expect(withId(to, 'occ-partial')).toHaveLength(1);
    expect(to.connections).toHaveLength(1);
  });

  it('given a pooled connection closed in the middle of a response body, when sent, then it is not sent again', async () => {
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver((n) => (n === 2 ? 'cut-body' : 'ok'));
    await sendTo(sender, to, 'occ-first');

    const outcome = await sendTo(sender, to, 'occ-cut');

    expect(outcome).toMatchObject({ kind: 'retryable', statusCode: 500, responseSnippet: 'stack' });
    expect(withId(to, 'occ-cut')).toHaveLength(1);
    expect(to.connections).toHaveLength(1);
  });

  it("given a receiver announcing Keep-Alive: timeout=2, when a connection is idle, then the sender closes it a second before the receiver's timeout", async () => {
    expect(IDLE_SOCKET_TIMEOUT_MS).toBeGreaterThan(1_000);
    const sender = new HttpWebhookSender({ clock });
    const to = await receiver(() => 'ok');
    // Announced as timeout=2; Node's agent keeps the connection for 2 s - 1 s.
    to.server.keepAliveTimeout = 2_000;
    expect(await sendTo(sender, to, 'occ-first')).toMatchObject({ kind: 'delivered' });
    const idleFrom = performance.now();

    const idleFor = (await closeOf(to.connections[0]!)) - idleFrom;

    // The receiver itself would close it after 2 s (3 s in Node 20, which adds a second).
    expect(idleFor).toBeGreaterThanOrEqual(900);
    expect(idleFor).toBeLessThan(1_900);
  });

  it('given an idle timeout shorter than the requests, when requests take longer, then they are not cut short and the connection closes once idle', async () => {
    const sender = new HttpWebhookSender({ clock, idleSocketTimeoutMs: 100 });
    const to = await receiver(() => ({ delayMs: 300 }));
    // No Keep-Alive hint, and the receiver never closes an idle connection itself.
    to.server.keepAliveTimeout = 0;

    // The first on a new connection, the second on the pooled one: both outlast the idle timeout.
    expect(await sendTo(sender, to, 'occ-slow-1')).toMatchObject({ kind: 'delivered', statusCode: 200 });
    expect(await sendTo(sender, to, 'occ-slow-2')).toMatchObject({ kind: 'delivered', statusCode: 200 });
    const idleFrom = performance.now();

    expect(to.connections).toHaveLength(1);
    const idleFor = (await closeOf(to.connections[0]!)) - idleFrom;
    expect(idleFor).toBeGreaterThanOrEqual(50);
    expect(idleFor).toBeLessThan(1_000);
  });
});
