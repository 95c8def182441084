import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError } from '#ports/user-repository';
import { batchGetInOrder } from './batch-get';
import { queryPages } from './query-pages';
import { LIST_INDEX } from './table-layout';

export type Item = Record<string, unknown>;

export interface ListIndexPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page of a list-index partition (`listPk`), in `listSk` order. The index is keys only (so
 * the yearly advance of a user or event does not rewrite its copy there): the page's keys come
 * from the index, the items from the table (BatchGetItem, in index order). An item deleted
 * between the two reads is left out, so a page can hold fewer than `limit` items while a next
 * one exists. The cursor carries only the `listSk` of the last index entry of the page, and the
 * whole LastEvaluatedKey is rebuilt from it by `tableKeyOf`, so a client cannot smuggle in
 * arbitrary start keys.
 *
 * @example
 * listIndexPage({ client, tableName, partition: 'APIKEY', limit: 20, cursor,
 *   tableKeyOf: (sk) => keys.apiKey(sk), fromItem: apiKeyFromItem });
 */
export async function listIndexPage<T>(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  partition: string;
  limit: number;
  cursor?: string;
  /**
   * The table's primary key of the item whose `listSk` is `sortValue` (from a decoded cursor);
   * throw InvalidCursorError for a value no item of this partition can have.
   */
  tableKeyOf: (sortValue: string) => Record<string, string>;
  fromItem: (item: Item) => T;
}): Promise<ListIndexPage<T>> {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be >= 1, got ${limit}`);
  const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
  // One extra entry tells whether another page exists, so the last page says nextCursor: null
  // instead of sending the client to an empty page.
  const { Items = [] } = await options.client.send(
    new QueryCommand({
      ...listIndexQuery(options.tableName, options.partition),
      Limit: limit + 1,
      ...(after === undefined
        ? {}
        : {
            ExclusiveStartKey: {
              ...options.tableKeyOf(after),
              [LIST_INDEX.partition]: options.partition,
              [LIST_INDEX.sort]: after,
            },
          }),
    }),
  );
  const page = Items.slice(0, limit);
  const lastSort: unknown = page.at(-1)?.[LIST_INDEX.sort];
  const items = await batchGetInOrder(options.client, options.tableName, page);
  return {
    items: items.map(options.fromItem),
    nextCursor: Items.length > limit && typeof lastSort === 'string' ? encodeListCursor(lastSort) : null,
  };
}

/**
 * Every item of a list-index partition, in `listSk` order, up to `max`: each index page's keys
 * fetched from the table as it comes (see {@link listIndexPage}). For internal listings that are
 * small by nature (event types, circuits); a client-facing listing pages with a cursor instead.
 */
export async function listIndexAll<T>(options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  partition: string;
  max?: number;
  fromItem: (item: Item) => T;
}): Promise<T[]> {
  const max = options.max ?? Infinity;
  const results: T[] = [];
  for await (const entries of queryPages(
    options.client,
    listIndexQuery(options.tableName, options.partition),
  )) {
    const wanted = entries.slice(0, max - results.length);
    const items = await batchGetInOrder(options.client, options.tableName, wanted);
    results.push(...items.map(options.fromItem));
    if (results.length >= max) break;
  }
  return results;
}

function listIndexQuery(tableName: string, partition: string) {
  return {
    TableName: tableName,
    IndexName: LIST_INDEX.name,
    KeyConditionExpression: '#listPk = :listPk',
    ExpressionAttributeNames: { '#listPk': LIST_INDEX.partition },
    ExpressionAttributeValues: { ':listPk': partition },
  };
}

const CURSOR_VERSION = 1;
const CURSOR_VALUE = /^[A-Za-z0-9._#:-]{1,128}$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,1024}$/;

export function encodeListCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, after })).toString('base64url');
}

/** @throws InvalidCursorError for anything but a cursor `encodeListCursor` made. */
export function decodeListCursor(cursor: string): string {
  const invalid = (): InvalidCursorError => new InvalidCursorError('cursor is not one this service issued');
  if (!BASE64URL.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid();
  const fields = decoded as Record<string, unknown>;
  const after = fields.after;
  if (
    Object.keys(fields).length !== 2 ||
    fields.v !== CURSOR_VERSION ||
    typeof after !== 'string' ||
    !CURSOR_VALUE.test(after)
  ) {
    throw invalid();
  }
  return after;
}
