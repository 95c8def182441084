import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Clock } from '#commons/clock';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from '#adapters/webhook/signature';

/** One webhook as the built-in receiver got it. */
export interface SinkItem {
  receivedAt: string;
  webhookId: string;
  webhookTimestamp: number;
  signatureValid: true;
  payload: unknown;
}

const MAX_BODY_BYTES = 256 * 1024;

/**
 * The built-in receiver (`POST /_local/sink`): verifies the Standard Webhooks signature like any
 * consumer would (401 when it does not verify, so a wrong secret shows up as failed
 * notifications, not as silent success), keeps what it got (oldest first) under DATA_DIR.
 */
export class WebhookSink {
  private readonly received: SinkItem[] = [];
  private readonly path?: string;

  constructor(
    private readonly options: {
      secret: string;
      clock: Clock;
      /** Simulated seconds per real second: the timestamp tolerance grows with it. */
      clockRate: number;
      dataDir?: string;
    },
  ) {
    if (options.dataDir) {
      this.path = join(options.dataDir, 'sink.jsonl');
      if (existsSync(this.path)) {
        for (const line of readFileSync(this.path, 'utf8').split('\n')) {
          // A line cut short by a kill is skipped; every complete one is kept.
          try {
            if (line) this.received.push(JSON.parse(line) as SinkItem);
          } catch {
            continue;
          }
        }
      }
    }
  }

  items(): readonly SinkItem[] {
    return this.received;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const header = (name: string): string => {
      const value = req.headers[name];
      return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
    };
    const headers = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
    };
    const nowSeconds = Math.floor(this.options.clock.now() / 1000);
    const tolerance = DEFAULT_TOLERANCE_SECONDS * Math.max(1, this.options.clockRate);
    if (
      body === undefined ||
      !headers.id ||
      !verifyWebhook(this.options.secret, headers, body, nowSeconds, tolerance)
    ) {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ type: 'about:blank', title: 'Signature does not verify', status: 401, detail: '' }),
      );
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = body;
    }
    const item: SinkItem = {
      receivedAt: new Date(this.options.clock.now()).toISOString(),
      webhookId: headers.id,
      webhookTimestamp: Number(headers.timestamp),
      signatureValid: true,
      payload,
    };
    this.received.push(item);
    if (this.path) appendFileSync(this.path, `${JSON.stringify(item)}\n`);
    res.writeHead(204);
    res.end();
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
