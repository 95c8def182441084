import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { Agent } from 'node:http';
import { tableDefinition } from '#adapters/dynamodb/table-definition';
import { listenOnLoopback } from './listen';

/** Credentials the local stand-ins accept; never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface EmbeddedDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on a loopback port. With `path` the data lives on disk
 * (LevelDB) and survives restarts; without it, it is in memory (tests).
 */
export async function startEmbeddedDynamo(options: { path?: string } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // listenOnLoopback keeps idle sockets longer than the clients' idle timeout (below).
  const { port } = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/**
 * Idle sockets of the local clients close after this. Node's HTTP servers close idle keep-alive
 * sockets after 5 s by default, and a socket the client reuses just as the server closes it fails
 * the request with `read ECONNRESET` (not retried by the SDK); so it stays below that for any
 * local Node server (the bench's counting proxy too), and well below `SERVER_KEEP_ALIVE_MS` (local/listen.ts).
 */
const CLIENT_IDLE_SOCKET_MS = 4_000;

/** SDK clients for a local endpoint, with idle sockets closed before the server closes them. */
export function dynamoClients(endpoint: string): { raw: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const raw = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: {
      httpAgent: new Agent({ keepAlive: true, maxSockets: 50, timeout: CLIENT_IDLE_SOCKET_MS }),
    },
  });
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { raw, doc };
}

/**
 * Creates the table if it does not exist yet and waits until it is active.
 * @throws TableLayoutError when the table exists with an older layout (another set of indexes)
 */
export async function ensureTable(raw: DynamoDBClient, tableName: string): Promise<void> {
  const definition = tableDefinition(tableName);
  try {
    await raw.send(new CreateTableCommand(definition));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
      requireIndexes(tableName, definition, Table.GlobalSecondaryIndexes ?? []);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/** A table kept in a DATA_DIR from before a change of the table layout. */
export class TableLayoutError extends Error {
  override readonly name = 'TableLayoutError';
}

/**
 * Fails fast on a table from an older layout (a DATA_DIR kept across versions): the code would
 * query indexes it lacks. dynalite cannot add an index to an existing table (UpdateTable only
 * changes throughput), so the fix is a fresh DATA_DIR; a deployed table is migrated instead
 * (ADR 0009).
 */
function requireIndexes(
  tableName: string,
  definition: ReturnType<typeof tableDefinition>,
  existing: readonly { IndexName?: string | undefined }[],
): void {
  const present = new Set(existing.map((index) => index.IndexName));
  const missing = (definition.GlobalSecondaryIndexes ?? [])
    .map((index) => index.IndexName)
    .filter((name): name is string => name !== undefined && !present.has(name));
  if (missing.length === 0) return;
  throw new TableLayoutError(
    `table ${tableName} has an older layout (no index ${missing.join(', ')}; see docs/adr/0009-year-less-due-index.md): ` +
      'start with a fresh DATA_DIR (move the old one away), the local store cannot add an index to an existing table',
  );
}
