import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { EndpointGuard, type HostResolver, type ResolvedAddress } from '#adapters/webhook/endpoint-guard';
import { HttpWebhookSender } from '#adapters/webhook/http-webhook-sender';
import { generateWebhookSecret } from '#adapters/webhook/signature';
import { AllowedHosts, parseAllowedHosts } from '#domain/allowed-hosts';
import type { WebhookUrlPolicy } from '#domain/webhook-url';
import { TestReceiver } from '../support/receiver';

/**
 * A FAKE DNS, the one fake here: made-up names (`evil.example`) cannot really resolve to
 * 127.0.0.1. Everything after the answer is real: the guard's checks, the sockets, the receivers.
 * It records every question, so a test can tell how often the name was looked up.
 */
class FakeDns {
  readonly questions: string[] = [];
  private readonly answers = new Map<string, ResolvedAddress[][]>();

  /** The name answers these lists in turn, the last one from then on. */
  answer(hostname: string, ...answers: string[][]): void {
    this.answers.set(
      hostname,
      answers.map((list) => list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))),
    );
  }

  /** The name's lookups never finish. */
  hang(hostname: string): void {
    this.hanging.add(hostname);
  }

  private readonly hanging = new Set<string>();

  readonly resolve: HostResolver = (hostname) => {
    this.questions.push(hostname);
    if (this.hanging.has(hostname)) return new Promise<never>(() => undefined);
    const queue = this.answers.get(hostname);
    if (!queue)
      return Promise.reject(Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const next = queue.length > 1 ? queue.shift() : queue[0];
    return Promise.resolve(next ?? []);
  };
}

const allowing = (list: string): AllowedHosts => {
  const parsed = parseAllowedHosts(list);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
};

describe('HttpWebhookSender with the endpoint guard, against real receivers', () => {
  const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
  const secret = generateWebhookSecret();
  const receiver = new TestReceiver();
  let port: number;
  let dns: FakeDns;

  beforeAll(async () => {
    await receiver.start();
    port = Number(new URL(receiver.url).port);
  });

  afterAll(async () => {
    await receiver.stop();
  });

  afterEach(() => {
    receiver.requests.length = 0;
    receiver.replyWith({ status: 204 });
  });

  const senderWith = (policy: Partial<WebhookUrlPolicy>, trustedUrls: string[] = []): HttpWebhookSender => {
    dns = new FakeDns();
    const guard = new EndpointGuard({
      policy: { requireHttps: false, allowed: AllowedHosts.none(), ...policy },
      trustedUrls,
      resolve: dns.resolve,
    });
    return new HttpWebhookSender({ clock, guard });
  };
  const send = (sender: HttpWebhookSender, url: string) =>
    sender.send({
      url,
      webhookId: 'occ_guard',
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: JSON.stringify({ type: 'birthday', data: { userId: 'u1' } }),
      secret,
      timeoutMs: 2_000,
    });

  describe('an address literal', () => {
    it('given no allow-list, when a webhook is sent to 127.0.0.1, then it is refused for good and nothing reaches the receiver', async () => {
      const outcome = await send(senderWith({}), receiver.url);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: 'webhook address 127.0.0.1 is loopback; allow it with WEBHOOK_ALLOWED_HOSTS',
      });
      expect(outcome.statusCode).toBeUndefined();
      expect(receiver.requests).toHaveLength(0);
    });

    it.each(['127.0.0.1', '127.0.0.0/8', 'PORT'])(
      'given WEBHOOK_ALLOWED_HOSTS=%s, when a webhook is sent to 127.0.0.1, then it is delivered',
      async (entry) => {
        const list = entry === 'PORT' ? `127.0.0.1:${port}` : entry;

        const outcome = await send(senderWith({ allowed: allowing(list) }), receiver.url);

        expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
        expect(receiver.requests).toHaveLength(1);
      },
    );

    it('given the allow-list names another port, when a webhook is sent to this one, then it is refused', async () => {
      const outcome = await send(senderWith({ allowed: allowing(`127.0.0.1:${port + 1}`) }), receiver.url);

      expect(outcome).toMatchObject({ kind: 'permanent' });
      expect(receiver.requests).toHaveLength(0);
    });

    it.each([
      `http://2130706433:PORT/hooks`,
      `http://0x7f.1:PORT/hooks`,
      `http://[::ffff:127.0.0.1]:PORT/hooks`,
    ])('given the disguised loopback URL %s, when sent, then it is refused', async (template) => {
      const outcome = await send(senderWith({}), template.replace('PORT', String(port)));

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: expect.stringMatching(/is loopback/) as unknown,
      });
      expect(receiver.requests).toHaveLength(0);
    });
  });

  describe('a host name', () => {
    it('given localhost, when a webhook is sent to it, then it is refused without a request', async () => {
      const outcome = await send(senderWith({}), `http://localhost:${port}/hooks`);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: 'webhook host localhost is loopback; allow it with WEBHOOK_ALLOWED_HOSTS',
      });
      expect(receiver.requests).toHaveLength(0);
    });

    it('given a name that resolves to 127.0.0.1, when a webhook is sent to it, then it is refused naming the address', async () => {
      const sender = senderWith({});
      dns.answer('evil.example', ['127.0.0.1']);

      const outcome = await send(sender, `http://evil.example:${port}/hooks`);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: 'webhook address 127.0.0.1 of evil.example is loopback; allow it with WEBHOOK_ALLOWED_HOSTS',
      });
      expect(receiver.requests).toHaveLength(0);
    });

    it('given a name with a public and a private address, when sent, then it is refused because of the private one', async () => {
      const sender = senderWith({});
      dns.answer('mixed.example', ['93.184.215.14', '10.0.0.5']);

      const outcome = await send(sender, `http://mixed.example:${port}/hooks`);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: expect.stringMatching(/^webhook address 10\.0\.0\.5 of mixed\.example is private/) as unknown,
      });
    });

    it('given a name resolving to the cloud metadata address and a broad allow-list, when sent, then it is still refused', async () => {
      const sender = senderWith({ allowed: allowing('0.0.0.0/0, metadata.example') });
      dns.answer('metadata.example', ['169.254.169.254']);

      const outcome = await send(sender, `http://metadata.example/latest/meta-data/`);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: expect.stringMatching(/is a cloud metadata endpoint/) as unknown,
      });
    });

    it('given the name is allowed, when a webhook is sent, then it reaches the receiver at the checked address (the system DNS does not know the name)', async () => {
      const sender = senderWith({ allowed: allowing('hooks.internal') });
      dns.answer('hooks.internal', ['127.0.0.1']);

      const outcome = await send(sender, `http://hooks.internal:${port}/hooks`);

      expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
      expect(receiver.requests).toHaveLength(1);
      // The name, not the address, is what the receiver sees: virtual hosts and TLS keep working.
      expect(receiver.requests[0]!.headers.host).toBe(`hooks.internal:${port}`);
    });

    it('given a name that does not resolve, when sent, then the attempt is retryable', async () => {
      const outcome = await send(senderWith({}), `http://nowhere.example:${port}/hooks`);

      expect(outcome).toMatchObject({
        kind: 'retryable',
        error: 'DNS lookup of nowhere.example failed: ENOTFOUND',
      });
    });

    it('given a DNS server that never answers, when the attempt times out, then it is retryable as a timeout', async () => {
      const sender = senderWith({});
      dns.hang('slow.example');

      const outcome = await sender.send({
        url: 'http://slow.example/hooks',
        webhookId: 'occ_slow_dns',
        timestampSeconds: Math.floor(clock.now() / 1000),
        body: '{}',
        secret,
        timeoutMs: 200,
      });

      expect(outcome).toMatchObject({ kind: 'retryable', error: 'timeout after 200 ms' });
    });

    it('given https is required, when an http URL is sent, then it is refused before any DNS question', async () => {
      const sender = senderWith({ requireHttps: true });
      dns.answer('hooks.example', ['93.184.215.14']);

      const outcome = await send(sender, 'http://hooks.example/hooks');

      expect(outcome).toMatchObject({ kind: 'permanent', error: 'webhook URL must use https' });
      expect(dns.questions).toEqual([]);
    });
  });

  describe('DNS rebinding', () => {
    // A second receiver on another loopback address, same port: where a rebinding answer points.
    let rebound: Server;
    let reboundHits = 0;

    beforeAll(async () => {
      rebound = createServer((_req, res) => {
        reboundHits += 1;
        res.writeHead(204).end();
      });
      await new Promise<void>((resolve) => rebound.listen(port, '127.0.0.2', resolve));
      expect((rebound.address() as AddressInfo).port).toBe(port);
    });

    afterAll(async () => {
      rebound.closeAllConnections();
      await new Promise((resolve) => rebound.close(resolve));
    });

    it('given the name answers an allowed address first and a private one afterwards, when sent twice, then the connection only ever goes to the address that was checked', async () => {
      // 127.0.0.1/32 stands for "a public address" here: the one address the check lets through.
      const sender = senderWith({ allowed: allowing('127.0.0.1/32') });
      dns.answer('rebind.example', ['127.0.0.1'], ['127.0.0.2']);

      const first = await send(sender, `http://rebind.example:${port}/hooks`);

      expect(first).toMatchObject({ kind: 'delivered', statusCode: 204 });
      expect(dns.questions).toEqual(['rebind.example']); // one lookup: checked, then connected
      expect(receiver.requests).toHaveLength(1);
      expect(reboundHits).toBe(0);

      const second = await send(sender, `http://rebind.example:${port}/hooks`);

      expect(second).toMatchObject({
        kind: 'permanent',
        error: 'webhook address 127.0.0.2 of rebind.example is loopback; allow it with WEBHOOK_ALLOWED_HOSTS',
      });
      expect(dns.questions).toEqual(['rebind.example', 'rebind.example']);
      expect(receiver.requests).toHaveLength(1);
      expect(reboundHits).toBe(0);
    });

    it('given a kept-alive connection of the same name to another address, when a checked send follows, then it does not reuse that connection', async () => {
      reboundHits = 0;
      const trusted = `http://shared.example:${port}/trusted`;
      const sender = senderWith({ allowed: allowing('127.0.0.1/32') }, [trusted]);
      dns.answer('shared.example', ['127.0.0.2'], ['127.0.0.1']);
      expect(await send(sender, trusted)).toMatchObject({ kind: 'delivered' });
      expect(reboundHits).toBe(1);

      const checked = await send(sender, `http://shared.example:${port}/hooks`);

      expect(checked).toMatchObject({ kind: 'delivered' });
      expect(receiver.requests).toHaveLength(1);
      expect(reboundHits).toBe(1);
    });
  });

  describe('https to a pinned address', () => {
    // A real TLS receiver with a certificate for hooks.internal from the tests' own CA.
    const fixture = (name: string): string =>
      readFileSync(new URL(`fixtures/tls/${name}`, import.meta.url), 'utf8');
    const seen: { servername: string | false; host: string | undefined }[] = [];
    let tlsServer: HttpsServer;
    let tlsPort: number;
    const tlsSender = (): HttpWebhookSender => {
      dns = new FakeDns();
      const guard = new EndpointGuard({
        policy: { requireHttps: true, allowed: allowing('hooks.internal, other.internal') },
        resolve: dns.resolve,
      });
      return new HttpWebhookSender({ clock, guard, extraCaCertificates: [fixture('ca.pem')] });
    };

    beforeAll(async () => {
      tlsServer = createHttpsServer(
        { cert: fixture('hooks.internal.pem'), key: fixture('hooks.internal-key.pem') },
        (req, res) => {
          // An https server's sockets are TLS sockets; the typings only say Socket.
          const { socket } = req;
          const servername =
            'servername' in socket && typeof socket.servername === 'string' ? socket.servername : false;
          seen.push({ servername, host: req.headers.host });
          req.resume();
          req.on('end', () => res.writeHead(204).end());
        },
      );
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      tlsPort = (tlsServer.address() as AddressInfo).port;
    });

    afterAll(async () => {
      tlsServer.closeAllConnections();
      await new Promise((resolve) => tlsServer.close(resolve));
    });

    it('given an https URL whose name is pinned to the checked address, when sent, then TLS SNI, the certificate check and the Host header use the name', async () => {
      const sender = tlsSender();
      dns.answer('hooks.internal', ['127.0.0.1']);

      const outcome = await send(sender, `https://hooks.internal:${tlsPort}/hooks`);

      expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
      expect(seen.at(-1)).toEqual({ servername: 'hooks.internal', host: `hooks.internal:${tlsPort}` });
    });

    it('given a name the certificate does not cover, pinned to the same address, when sent, then TLS refuses it', async () => {
      const sender = tlsSender();
      dns.answer('other.internal', ['127.0.0.1']);
      const before = seen.length;

      const outcome = await send(sender, `https://other.internal:${tlsPort}/hooks`);

      expect(outcome).toMatchObject({
        kind: 'retryable',
        error: 'connection error: ERR_TLS_CERT_ALTNAME_INVALID',
      });
      expect(seen).toHaveLength(before);
    });
  });

  describe('redirects', () => {
    it('given an allowed receiver answering 302 to another allowed URL, when sent, then it is permanent and the redirect is not followed', async () => {
      const sender = senderWith({ allowed: allowing('127.0.0.1') });
      receiver.replyWith({ status: 302, headers: { location: `${receiver.url}/elsewhere` } });

      const outcome = await send(sender, receiver.url);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        statusCode: 302,
        error: 'HTTP 302: redirects are not followed',
      });
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe('the trusted WEBHOOK_URL', () => {
    it('given the receiver is the configured WEBHOOK_URL, when sent with the strictest policy, then it is delivered', async () => {
      const sender = senderWith({ requireHttps: true }, [receiver.url]);

      const outcome = await send(sender, receiver.url);

      expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 204 });
    });

    it('given another path on the trusted origin, when sent, then it is not trusted and is refused', async () => {
      const sender = senderWith({}, [receiver.url]);

      const outcome = await send(sender, `${receiver.url}/other`);

      expect(outcome).toMatchObject({
        kind: 'permanent',
        error: expect.stringMatching(/^webhook address 127\.0\.0\.1 is loopback/) as unknown,
      });
      expect(receiver.requests).toHaveLength(0);
    });
  });
});
