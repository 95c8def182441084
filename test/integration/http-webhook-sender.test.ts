import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { HttpWebhookSender, MAX_SNIPPET_CHARS } from '#adapters/webhook/http-webhook-sender';
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
