import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen';
import { join } from 'node:path';
import { isoOf, type Clock } from '#commons/clock';

/** One PutEvents entry as the recorder accepted it. */
export interface RecordedEvent {
  eventId: string;
  /** ISO instant of the shared (possibly simulated) clock when it arrived. */
  recordedAt: string;
  eventBusName?: string;
  source: string;
  detailType: string;
  /** The parsed Detail JSON. */
  detail: unknown;
  /** The entry's Time as ISO, when it had one. */
  time?: string;
  resources: string[];
}

export interface EventBridgeRecorder {
  /** `http://127.0.0.1:<port>`, for `new EventBridgeClient({ endpoint })`. */
  endpoint: string;
  /** Everything recorded, oldest first (including earlier runs' when `dataDir` is set). */
  events(): RecordedEvent[];
  /** Answers the next `count` entries with `errorCode`, as EventBridge does for partial failures. */
  failNext(count: number, errorCode?: string): void;
  stop(): Promise<void>;
}

const JSON_1_1 = 'application/x-amz-json-1.1';
const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
const MAX_ENTRIES = 10;
// PutEvents caps a request at 1 MiB; anything larger is rejected before parsing.
const MAX_BODY_BYTES = 1024 * 1024;

interface EntryInput {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * A stand-in for EventBridge's PutEvents that the unmodified `@aws-sdk/client-eventbridge` talks
 * to (AWS JSON 1.1: `POST /`, `x-amz-target: AWSEvents.PutEvents`). It validates each entry the
 * way EventBridge does (Source, DetailType and a JSON-object Detail are required), records the
 * accepted ones, and appends them to `${dataDir}/events.jsonl` when a data dir is given. Any other
 * operation gets the JSON protocol's error shape (`__type` + `x-amzn-ErrorType`).
 *
 * @example
 * const recorder = await startEventBridgeRecorder({ clock });
 * const client = new EventBridgeClient({ endpoint: recorder.endpoint, region, credentials });
 */
export async function startEventBridgeRecorder(options: {
  dataDir?: string;
  clock: Clock;
}): Promise<EventBridgeRecorder> {
  const file = options.dataDir ? join(options.dataDir, 'events.jsonl') : undefined;
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const recorded: RecordedEvent[] = file ? load(file) : [];
  let failures: { remaining: number; errorCode: string } = { remaining: 0, errorCode: 'InternalFailure' };

  const putEvents = async (input: unknown): Promise<{ FailedEntryCount: number; Entries: EntryResult[] }> => {
    const entries = (input as { Entries?: unknown } | null)?.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new ProtocolError(400, 'ValidationException', `Entries must hold 1 to ${MAX_ENTRIES} items`);
    }
    const accepted: RecordedEvent[] = [];
    const results = entries.map((entry: EntryInput): EntryResult => {
      if (failures.remaining > 0) {
        failures = { ...failures, remaining: failures.remaining - 1 };
        return { ErrorCode: failures.errorCode, ErrorMessage: 'Injected failure' };
      }
      const event = toRecorded(entry, options.clock);
      if ('ErrorCode' in event) return event;
      accepted.push(event);
      return { EventId: event.eventId };
    });
    // Persist before answering, so an acknowledged event survives a restart.
    if (file && accepted.length > 0) {
      await appendFile(file, accepted.map((event) => `${JSON.stringify(event)}\n`).join(''));
    }
    recorded.push(...accepted);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  };

  const server = createServer((req, res) => {
    handle(req, res, putEvents).catch((error: unknown) => {
      send(res, 500, { __type: 'InternalException', message: String(error) }, 'InternalException');
    });
  });
  const { port } = await listenOnLoopback(server);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events: () => [...recorded],
    failNext: (count, errorCode = 'InternalFailure') => {
      failures = { remaining: count, errorCode };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  putEvents: (input: unknown) => Promise<object>,
): Promise<void> {
  try {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== PUT_EVENTS_TARGET) {
      throw new ProtocolError(
        400,
        'UnknownOperationException',
        `Operation ${String(target)} is not supported`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(await readBody(req));
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(400, 'SerializationException', 'The request body is not JSON');
    }
    send(res, 200, await putEvents(input));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    send(res, error.status, { __type: error.type, message: error.message }, error.type);
  }
}

function toRecorded(
  entry: EntryInput,
  clock: Clock,
): RecordedEvent | { ErrorCode: string; ErrorMessage: string } {
  const { Source, DetailType, Detail } = entry;
  if (typeof Source !== 'string' || typeof DetailType !== 'string' || typeof Detail !== 'string') {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter(s) Source, DetailType, Detail must be specified.',
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(Detail);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  // The JSON protocols send timestamps as epoch seconds, possibly fractional.
  const time = typeof entry.Time === 'number' ? isoOf(Math.round(entry.Time * 1000)) : undefined;
  const resources = Array.isArray(entry.Resources)
    ? entry.Resources.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    eventId: randomUUID(),
    recordedAt: isoOf(clock.now()),
    ...(typeof entry.EventBusName === 'string' ? { eventBusName: entry.EventBusName } : {}),
    source: Source,
    detailType: DetailType,
    detail,
    ...(time ? { time } : {}),
    resources,
  };
}

function send(res: ServerResponse, status: number, body: object, errorType?: string): void {
  res.writeHead(status, {
    'content-type': JSON_1_1,
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ProtocolError(413, 'RequestEntityTooLarge', 'Request too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Earlier runs' events; a line cut short by a kill is skipped. */
function load(file: string): RecordedEvent[] {
  if (!existsSync(file)) return [];
  const events: RecordedEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as RecordedEvent);
    } catch {
      continue;
    }
  }
  return events;
}
