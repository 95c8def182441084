import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServer, type Server } from 'node:http';
import type { RateLimit } from '#api/rate-limiter';
import type { Clock } from '#commons/clock';
import { createApiHandler, type ApiHandlerDeps } from '#handlers/api.handler';
import { composeApi, composeAuthenticate, type ComposedApiDeps } from '#handlers/api-composition';
import { createApiGatewayAdapter } from '#local/api-gateway-adapter';
import { listenOnLoopback } from '#local/listen';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';
import { RecordedMetrics } from '#local/recorded-metrics';
import { startTestTable, type TestTable } from './dynamodb';

export const TEST_ADMIN_KEY = 'test-admin-key';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface Call {
  body?: unknown;
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
  /** `null` sends no key; default the bootstrap admin key. */
  apiKey?: string | null;
}

export interface TestApi {
  baseUrl: string;
  table: TestTable;
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  deps: ComposedApiDeps;
  call(method: string, path: string, options?: Call): Promise<Answer>;
  stop(): Promise<void>;
}

/**
 * The admin API as deployed, on real stand-ins: its own dynalite table and SQS server, the
 * composition root of api.handler.ts, and the local API Gateway adapter with the authorizer
 * step, served over HTTP on loopback.
 */
export async function startTestApi(options: {
  clock: Clock;
  rateLimit?: RateLimit;
  /** Most notifications per replay job (a small cap to test the 422 without 10,000 items). */
  maxReplayOccurrences?: number;
  /** Replaces composed dependencies (e.g. a readiness probe that fails). */
  override?: (deps: ComposedApiDeps) => Partial<ApiHandlerDeps>;
}): Promise<TestApi> {
  const table = await startTestTable();
  const sqsServer: SqsServer = await startSqsServer({ clock: options.clock });
  const sqs = new SQSClient({
    endpoint: sqsServer.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications' }))).QueueUrl ?? '';
  const deadLetterQueueUrl =
    (await sqs.send(new CreateQueueCommand({ QueueName: 'notifications-dlq' }))).QueueUrl ?? '';
  const deps = composeApi({
    dynamo: table.doc,
    sqs,
    tableName: table.tableName,
    dueShards: 4,
    queueUrl,
    deadLetterQueueUrl,
    clock: options.clock,
    metrics: new RecordedMetrics({ clock: options.clock }),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.maxReplayOccurrences === undefined
      ? {}
      : { maxReplayOccurrences: options.maxReplayOccurrences }),
  });
  const authenticate = composeAuthenticate({
    dynamo: table.doc,
    tableName: table.tableName,
    clock: options.clock,
    bootstrapKey: () => Promise.resolve(TEST_ADMIN_KEY),
  });
  const handler = createApiHandler({ ...deps, ...options.override?.(deps) });
  const adapter = createApiGatewayAdapter({
    handler,
    authorize: (apiKey) => authenticate.principalOf(apiKey),
    clock: options.clock,
  });
  const server: Server = createServer((req, res) => void adapter(req, res));
  const baseUrl = `http://127.0.0.1:${(await listenOnLoopback(server)).port}`;

  const call = async (method: string, path: string, callOptions: Call = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.apiKey !== null) headers['x-api-key'] = callOptions.apiKey ?? TEST_ADMIN_KEY;
    let body: string | Uint8Array | undefined = callOptions.rawBody;
    if (callOptions.body !== undefined) {
      body = JSON.stringify(callOptions.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Answer['body']) : {},
    };
  };

  return {
    baseUrl,
    table,
    sqs,
    queueUrl,
    deadLetterQueueUrl,
    deps,
    call,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      sqs.destroy();
      await sqsServer.stop();
      await table.stop();
    },
  };
}
