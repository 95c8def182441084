import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  webhookId: string;
  webhookTimestamp: number;
  signature: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: {
    type: string;
    timestamp: string;
    data: {
      userId: string;
      fullName: string;
      message: string;
      localDate: string;
      timezone: string;
      scheduledFor: string;
    };
  };
  /** What this receiver answered. */
  status: number;
}

/** How the receiver answers the next request: a status, and headers such as Retry-After. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Real milliseconds to wait before answering (a slow receiver). */
  delayMs?: number;
}

/**
 * A real HTTP receiver on loopback for end-to-end tests. It answers 204 unless told otherwise
 * (`replyWith`), and keeps every request, including the ones it refused, oldest first.
 */
export class TestReceiver {
  readonly requests: ReceivedWebhook[] = [];
  private reply: (request: ReceivedWebhook) => Reply = () => ({ status: 204 });
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = (name: string): string => String(req.headers[name] ?? '');
      const request: ReceivedWebhook = {
        webhookId: header('webhook-id'),
        webhookTimestamp: Number(header('webhook-timestamp')),
        signature: header('webhook-signature'),
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as ReceivedWebhook['body'],
        status: 0,
      };
      const { status, headers, delayMs = 0 } = this.reply(request);
      request.status = status;
      this.requests.push(request);
      setTimeout(() => {
        res.writeHead(status, headers);
        res.end(status >= 400 ? 'receiver says no' : '');
      }, delayMs);
    });
  });

  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  replyWith(reply: Reply | ((request: ReceivedWebhook) => Reply)): void {
    this.reply = typeof reply === 'function' ? reply : () => reply;
  }

  /** The requests it accepted (2xx): what a receiver counts as delivered. */
  accepted(userId?: string): ReceivedWebhook[] {
    return this.requests.filter(
      (request) =>
        request.status >= 200 && request.status < 300 && (!userId || request.body.data.userId === userId),
    );
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
