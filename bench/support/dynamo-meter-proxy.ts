import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tableDefinition } from '#adapters/dynamodb/table-definition';
import { TABLE_KEYS } from '#adapters/dynamodb/table-layout';

/** A DynamoDB attribute value on the wire (`{"S": "..."}`, `{"N": "1"}`, ...). */
type WireValue = Record<string, unknown>;
type WireItem = Record<string, WireValue>;

interface IndexSpec {
  name: string;
  keys: string[];
  projection: string;
  include: string[];
}

/** What went through the proxy since the last reset. */
export interface MeterTally {
  requests: Record<string, number>;
  /** Read request units DynamoDB (dynalite) reported, by operation. */
  readUnits: Record<string, number>;
  /**
   * GetItem requests by the entity read (the `pk` prefix: `USER`, `OCC`, `CIRCUIT`, ...), and
   * whether strongly consistent (`CIRCUIT consistent`), so each read is attributed, not inferred.
   */
  getItemsByEntity: Record<string, number>;
  /** Write units of the base table as DynamoDB (dynalite) reported them, by operation. */
  tableWriteUnits: Record<string, number>;
  /** Write units of each global secondary index, computed here (dynalite does not report them). */
  indexWriteUnits: Record<string, number>;
  /** Writes refused by their condition: DynamoDB charges them too (counted as 1 WRU each). */
  conditionalFailures: Record<string, number>;
  /** Updates whose previous item was never seen (their index writes may be undercounted). */
  unknownPrevious: number;
}

export interface DynamoMeterProxy {
  endpoint: string;
  tally(): MeterTally;
  reset(): void;
  stop(): Promise<void>;
}

const emptyTally = (): MeterTally => ({
  requests: {},
  readUnits: {},
  getItemsByEntity: {},
  tableWriteUnits: {},
  indexWriteUnits: {},
  conditionalFailures: {},
  unknownPrevious: 0,
});

const add = (record: Record<string, number>, key: string, amount: number): void => {
  record[key] = (record[key] ?? 0) + amount;
};

/**
 * A counting proxy in front of a local DynamoDB endpoint, for the cost bench. The code under test
 * is unchanged: the proxy asks for `ReturnConsumedCapacity` on every request and for the item
 * images it needs (`ALL_OLD` on puts and deletes, `ALL_NEW` on updates), takes them off the answer
 * again, and adds up read and write units. dynalite reports the base table's units only, so the
 * units of the global secondary indexes are computed here from the old and new item images with
 * DynamoDB's rules: an item entering or leaving an index is one index write, a changed index key
 * is two (delete + put), a changed projected attribute is one; each of ceil(projected size / 1 KB).
 */
export async function startDynamoMeterProxy(target: string, tableName: string): Promise<DynamoMeterProxy> {
  const indexes: IndexSpec[] = (tableDefinition(tableName).GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    keys: (index.KeySchema ?? []).map((key) => key.AttributeName ?? ''),
    projection: index.Projection?.ProjectionType ?? 'ALL',
    include: index.Projection?.NonKeyAttributes ?? [],
  }));
  const allProjected = new Set(
    indexes.filter((index) => index.projection === 'ALL').map((index) => index.name),
  );
  const shadow = new Map<string, WireItem>();
  let tally = emptyTally();
  const targetUrl = new URL(target);

  const keyOf = (item: WireItem): string =>
    JSON.stringify([item[TABLE_KEYS.partition], item[TABLE_KEYS.sort]]);

  const indexWrites = (previous: WireItem | undefined, next: WireItem | undefined): void => {
    for (const index of indexes) {
      const inPrevious = previous !== undefined && index.keys.every((key) => previous[key] !== undefined);
      const inNext = next !== undefined && index.keys.every((key) => next[key] !== undefined);
      const before = inPrevious ? project(previous, index) : undefined;
      const after = inNext ? project(next, index) : undefined;
      let units = 0;
      if (before && after) {
        const keyChanged = index.keys.some(
          (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
        );
        if (keyChanged) units = writeUnits(before) + writeUnits(after);
        else if (JSON.stringify(sorted(before)) !== JSON.stringify(sorted(after))) units = writeUnits(after);
      } else if (after) units = writeUnits(after);
      else if (before) units = writeUnits(before);
      if (units > 0) add(tally.indexWriteUnits, index.name, units);
    }
  };

  const account = (
    operation: string,
    input: Record<string, unknown>,
    output: Record<string, unknown>,
    injectedValues: boolean,
  ): void => {
    const consumed = output.ConsumedCapacity;
    const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
      (sum: number, entry) => sum + ((entry as { CapacityUnits?: number }).CapacityUnits ?? 0),
      0,
    );
    switch (operation) {
      case 'GetItem': {
        add(tally.readUnits, operation, units);
        const partition = (input.Key as WireItem | undefined)?.[TABLE_KEYS.partition]?.S;
        const entity = typeof partition === 'string' ? (partition.split('#')[0] ?? partition) : 'unknown';
        add(tally.getItemsByEntity, `${entity}${input.ConsistentRead === true ? ' consistent' : ''}`, 1);
        const item = output.Item as WireItem | undefined;
        if (item && !input.ProjectionExpression) shadow.set(keyOf(item), item);
        return;
      }
      case 'Query':
      case 'Scan': {
        // DynamoDB rounds every Query and Scan up to one 4 KB unit, even an empty one; dynalite says 0.
        add(tally.readUnits, operation, Math.max(units, input.ConsistentRead === true ? 1 : 0.5));
        const full =
          !input.ProjectionExpression &&
          (!input.IndexName || (typeof input.IndexName === 'string' && allProjected.has(input.IndexName)));
        if (full) for (const item of (output.Items ?? []) as WireItem[]) shadow.set(keyOf(item), item);
        return;
      }
      case 'BatchGetItem': {
        add(tally.readUnits, operation, units);
        // Each item read is attributed like a GetItem's (`OCC batched consistent`): the worker
        // batches the reads of a batch's records, and the tally must still say what it read.
        const requested = Object.values(
          (input.RequestItems ?? {}) as Record<string, { Keys?: WireItem[]; ConsistentRead?: boolean }>,
        );
        for (const { Keys = [], ConsistentRead } of requested) {
          for (const key of Keys) {
            const partition = key[TABLE_KEYS.partition]?.S;
            const entity = typeof partition === 'string' ? (partition.split('#')[0] ?? partition) : 'unknown';
            add(
              tally.getItemsByEntity,
              `${entity} batched${ConsistentRead === true ? ' consistent' : ''}`,
              1,
            );
          }
        }
        const answered = Object.values((output.Responses ?? {}) as Record<string, WireItem[]>).flat();
        // Whole items (batchGetInOrder asks for no projection): the images later writes start from.
        for (const item of answered) shadow.set(keyOf(item), item);
        return;
      }
      case 'PutItem': {
        add(tally.tableWriteUnits, operation, units);
        const item = input.Item as WireItem;
        const previous =
          injectedValues || input.ReturnValues === 'ALL_OLD'
            ? (output.Attributes as WireItem | undefined)
            : shadow.get(keyOf(item));
        indexWrites(previous, item);
        shadow.set(keyOf(item), item);
        return;
      }
      case 'DeleteItem': {
        add(tally.tableWriteUnits, operation, units);
        const key = input.Key as WireItem;
        const previous = (output.Attributes as WireItem | undefined) ?? shadow.get(keyOf(key));
        indexWrites(previous, undefined);
        shadow.delete(keyOf(key));
        return;
      }
      case 'UpdateItem': {
        add(tally.tableWriteUnits, operation, units);
        const key = input.Key as WireItem;
        const next = output.Attributes as WireItem | undefined;
        const previous = shadow.get(keyOf(key));
        if (!previous) tally.unknownPrevious += 1;
        if (next && (injectedValues || input.ReturnValues === 'ALL_NEW')) {
          indexWrites(previous, next);
          shadow.set(keyOf(key), next);
        } else tally.unknownPrevious += 1;
        return;
      }
      case 'BatchWriteItem': {
        add(tally.tableWriteUnits, operation, units);
        const requests = Object.values(
          (input.RequestItems ?? {}) as Record<string, Record<string, { Item?: WireItem; Key?: WireItem }>[]>,
        ).flat();
        for (const entry of requests) {
          if (entry.PutRequest?.Item) {
            const item = entry.PutRequest.Item;
            indexWrites(shadow.get(keyOf(item)), item);
            shadow.set(keyOf(item), item);
          } else if (entry.DeleteRequest?.Key) {
            const key = entry.DeleteRequest.Key;
            indexWrites(shadow.get(keyOf(key)), undefined);
            shadow.delete(keyOf(key));
          }
        }
        return;
      }
      default:
        return;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      add(tally.requests, operation, 1);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const injectedCapacity =
        input.ReturnConsumedCapacity === undefined || input.ReturnConsumedCapacity === 'NONE';
      if (injectedCapacity) input.ReturnConsumedCapacity = 'TOTAL';
      const noValues = input.ReturnValues === undefined || input.ReturnValues === 'NONE';
      let injectedValues = false;
      if (noValues && (operation === 'PutItem' || operation === 'DeleteItem')) {
        input.ReturnValues = 'ALL_OLD';
        injectedValues = true;
      } else if (noValues && operation === 'UpdateItem') {
        input.ReturnValues = 'ALL_NEW';
        injectedValues = true;
      }
      const body = JSON.stringify(input);
      const upstream = request(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...forwardable(req.headers), 'content-length': Buffer.byteLength(body) },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            let out = text;
            if (answer.statusCode === 200) {
              const output = JSON.parse(text || '{}') as Record<string, unknown>;
              account(operation, input, output, injectedValues);
              if (injectedCapacity) delete output.ConsumedCapacity;
              if (injectedValues) delete output.Attributes;
              out = JSON.stringify(output);
            } else if (text.includes('ConditionalCheckFailed')) {
              add(tally.conditionalFailures, operation, 1);
            }
            const headers = forwardable(answer.headers);
            delete headers['x-amz-crc32'];
            res.writeHead(answer.statusCode ?? 500, { ...headers, 'content-length': Buffer.byteLength(out) });
            res.end(out);
          });
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tally: () => tally,
    reset: () => {
      tally = emptyTally();
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

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      value === undefined ||
      name === 'content-length' ||
      name === 'transfer-encoding' ||
      name === 'connection'
    )
      continue;
    out[name] = value;
  }
  return out;
}

function project(item: WireItem, index: IndexSpec): WireItem {
  if (index.projection === 'ALL') return item;
  const names = new Set([TABLE_KEYS.partition, TABLE_KEYS.sort, ...index.keys, ...index.include]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

const sorted = (item: WireItem): [string, WireValue][] =>
  Object.entries(item).sort(([a], [b]) => a.localeCompare(b));

/** One write unit per started KB of the (projected) item. */
const writeUnits = (item: WireItem): number => Math.max(1, Math.ceil(itemSize(item) / 1024));

/** DynamoDB's item size: attribute names plus values (numbers ~1 byte per 2 digits + 1). */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

function valueSize(value: WireValue): number {
  const [type, raw] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(raw));
    case 'N':
      return Math.ceil(String(raw).replace(/^-|\.|^0+/g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(raw), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (raw as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (raw as string[]).reduce((sum, n) => sum + Math.ceil(n.length / 2) + 1, 0);
    case 'L':
      return 3 + (raw as WireValue[]).reduce((sum, element) => sum + 1 + valueSize(element), 0);
    case 'M':
      return (
        3 +
        Object.entries(raw as WireItem).reduce(
          (sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueSize(element),
          0,
        )
      );
    default:
      return 1;
  }
}
