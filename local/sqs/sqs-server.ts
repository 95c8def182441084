import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '#commons/clock';
import { listenOnLoopback } from '../listen';
import { SqsError } from './errors';
import { Input } from './input';
import { Journal } from './journal';
import { LongPolls } from './long-poll';
import { createOperations, WAKING_OPERATIONS, type Output } from './operations';
import { QueueStore } from './queue-store';

export interface SimulatedClockLike extends Clock {
  /** called after the clock jumps or moves; returns an unsubscribe */
  onChange?(listener: () => void): () => void;
}

export interface SqsServerOptions {
  clock: SimulatedClockLike;
  /** persist here when set; in memory otherwise */
  dataDir?: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
  /** default '000000000000' */
  accountId?: string;
  /** default us-east-1 */
  region?: string;
}

export interface SqsServer {
  /** e.g. http://127.0.0.1:PORT */
  endpoint: string;
  stop(): Promise<void>;
  /** counts for the local /_local/drain endpoint */
  stats(queueName: string): { visible: number; inFlight: number; delayed: number };
}

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** A batch is at most 1 MiB of messages; leave room for JSON escaping and base64. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Starts an SQS-compatible server that the unmodified `@aws-sdk/client-sqs` talks to (AWS JSON
 * 1.0: `POST /`, `x-amz-target: AmazonSQS.<Operation>`). Signatures are not checked.
 *
 * All time comes from `options.clock`. Long polls wait WaitTimeSeconds in real seconds and wake
 * early on a send, on a visibility change, when the clock reaches a hidden message's instant and
 * when a simulated clock reports a jump through `onChange`.
 *
 * @example
 * const sqs = await startSqsServer({ clock: systemClock, dataDir: '.data/sqs' });
 * const client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials });
 */
export async function startSqsServer(options: SqsServerOptions): Promise<SqsServer> {
  const clock = options.clock;
  const accountId = options.accountId ?? '000000000000';
  let endpoint = '';
  const store = new QueueStore({
    clock,
    accountId,
    region: options.region ?? 'us-east-1',
    endpoint: () => endpoint,
    ...(options.dataDir ? { journal: new Journal(options.dataDir) } : {}),
  });
  const polls = new LongPolls(clock);
  const operations = createOperations(store, polls, accountId);
  let stopping = false;
  let wakeScheduled: NodeJS.Immediate | undefined;

  /**
   * Long polls re-check on the next turn of the event loop, not inside the caller's stack: a
   * clock listener should be cheap and must not throw into the clock's owner, and several changes
   * in a row (a batch of sends, a clock ticking fast) need only one re-check.
   */
  function scheduleWake(): void {
    wakeScheduled ??= setImmediate(() => {
      wakeScheduled = undefined;
      polls.wakeAll();
    });
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const body = await readBody(request);
      if (stopping) throw new SqsError('InternalFailure', 'The local SQS server is stopping.');
      const output = await dispatch(request, body, response);
      send(response, 200, requestId, output);
    } catch (error) {
      const sqsError = error instanceof SqsError ? error : internalError(error);
      send(response, sqsError.status, requestId, sqsError.toBody(), sqsError.queryError);
    }
  }

  async function dispatch(request: IncomingMessage, body: string, response: ServerResponse): Promise<Output> {
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
      throw new SqsError(
        'UnsupportedOperation',
        'Only the AWS JSON 1.0 protocol is supported (POST with x-amz-target: AmazonSQS.<Operation>).',
      );
    }
    const name = target.slice(TARGET_PREFIX.length);
    const operation = operations.get(name);
    if (!operation)
      throw new SqsError('UnsupportedOperation', `${name} is not supported by the local SQS server.`);
    const input = Input.parse(body);
    let result: Output | Promise<Output>;
    try {
      result = operation(input, {
        onClose: (callback) => {
          response.once('close', () => {
            if (!response.writableEnded) callback();
          });
        },
      });
    } finally {
      // Persist before answering, error or not: a failed request may still have changed state
      // (e.g. expired messages deleted on the way).
      store.flush();
    }
    if (WAKING_OPERATIONS.has(name)) scheduleWake();
    return await result;
  }

  let address: AddressInfo;
  try {
    address = await listenOnLoopback(server, options.port, options.host);
  } catch (error) {
    store.close(); // e.g. the port is taken: release the journal file too
    throw error;
  }
  endpoint = `http://${urlHost(address)}:${address.port}`;
  const unsubscribe = clock.onChange?.(scheduleWake);

  return {
    endpoint,
    stats: (queueName) => store.stats(queueName),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      unsubscribe?.();
      if (wakeScheduled) clearImmediate(wakeScheduled);
      // Answer open long polls (empty) and give the answers a tick to be written.
      polls.closeAll();
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      store.close();
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_REQUEST_BYTES) {
        reject(new SqsError('InvalidParameterValue', `Request body larger than ${MAX_REQUEST_BYTES} bytes.`));
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  queryError?: string,
): void {
  if (response.writableEnded || response.destroyed) return;
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  };
  if (queryError) headers['x-amzn-query-error'] = queryError;
  response.writeHead(status, headers);
  response.end(text);
}

function internalError(error: unknown): SqsError {
  // An unexpected failure (e.g. the journal could not be written) must be visible to whoever
  // runs the server, not only to the client that got the 500.
  console.error('local SQS server: internal error', error);
  return new SqsError('InternalFailure', error instanceof Error ? error.message : String(error));
}

function urlHost(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return '127.0.0.1';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
