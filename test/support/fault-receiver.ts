import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the fault receiver saw it. */
export interface FaultRequest {
  webhookId: string;
  userId: string;
  /** The payload's `data.scheduledFor`. */
  scheduledFor: string;
  /** The attempt's `webhook-timestamp`, in ms of the sender's (simulated) clock. */
  attemptAt: number;
  /** What the receiver answered; 0 when it reset the connection instead. */
  status: number;
  /**
   * False when the sender had hung up (its timeout) before the answer was written: the receiver
   * treats that request as not processed, as a framework checking for an aborted request would.
   */
  answered: boolean;
}

/** How to treat one request: an answer (possibly late), or a connection reset. */
export type FaultReply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'reset';

export type FaultBehaviour = (request: { webhookId: string; userId: string; seq: number }) => FaultReply;

/**
 * A webhook receiver for fault scenarios: its behaviour is a function of each request (and can
 * change mid-test), it can refuse every connection (down), and it tells apart an answer the
 * sender got from one written after the sender gave up. Counting delivered and duplicates uses
 * only 2xx answers the sender got.
 */
export class FaultReceiver {
  readonly requests: FaultRequest[] = [];
  /** When each connection was reset because the receiver was down, on `now()`'s clock. */
  readonly refusedAt: number[] = [];
  /** The clock refusals are stamped with (the runtime's simulated clock, once it runs). */
  now: () => number = () => 0;
  private behaviour: FaultBehaviour = () => ({ status: 204 });
  private afterAnswer: (request: FaultRequest) => void = () => undefined;
  private down = false;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((req, res) => {
    this.handle(req, res);
  });
  url = '';

  async start(): Promise<this> {
    this.server.on('connection', (socket) => {
      // Down: the connection is reset as soon as it opens (a host with nothing listening).
      if (this.down) {
        this.refusedAt.push(this.now());
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** How to answer from now on. */
  behave(behaviour: FaultBehaviour): void {
    this.behaviour = behaviour;
  }

  /** Down: every connection, open or new, is reset until `up()`. */
  goDown(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Runs right after each answer is written (e.g. to kill the sender at that very moment). */
  onAnswer(listener: (request: FaultRequest) => void): void {
    this.afterAnswer = listener;
  }

  up(): void {
    this.down = false;
  }

  /** 2xx answers the sender received, optionally for one user. */
  accepted(userId?: string): FaultRequest[] {
    return this.requests.filter(
      (request) =>
        request.answered &&
        request.status >= 200 &&
        request.status < 300 &&
        (!userId || request.userId === userId),
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const header = (name: string): string => String(req.headers[name] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        data?: { userId?: string; scheduledFor?: string };
      };
      const request: FaultRequest = {
        webhookId: header('webhook-id'),
        userId: body.data?.userId ?? '',
        scheduledFor: body.data?.scheduledFor ?? '',
        attemptAt: Number(header('webhook-timestamp')) * 1000,
        status: 0,
        answered: false,
      };
      this.requests.push(request);
      const reply = this.behaviour({ ...request, seq: this.requests.length - 1 });
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      const answer = (): void => {
        request.status = reply.status;
        if (req.socket.destroyed) return;
        request.answered = true;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.status >= 400 ? 'receiver says no' : '');
        this.afterAnswer(request);
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  }
}
