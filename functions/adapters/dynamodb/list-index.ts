import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidCursorError } from '#ports/user-repository';
import { LIST_INDEX } from './table-layout';

export type Item = Record<string, unknown>;

export interface ListIndexPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page of a list-index partition (`listPk`), in `listSk` order. The cursor carries only the
 * `listSk` of the last item returned, and the whole LastEvaluatedKey is rebuilt from it by
 * `tableKeyOf`, so a client cannot smuggle in arbitrary start keys.
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
  /** The table's primary key of the item whose `listSk` is `sortValue`. */
  tableKeyOf: (sortValue: string) => Record<string, string>;
  fromItem: (item: Item) => T;
}): Promise<ListIndexPage<T>> {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be >= 1, got ${limit}`);
  const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
  // One extra item tells whether another page exists, so the last page says nextCursor: null
  // instead of sending the client to an empty page.
  const { Items = [] } = await options.client.send(
    new QueryCommand({
      TableName: options.tableName,
      IndexName: LIST_INDEX.name,
      KeyConditionExpression: '#listPk = :listPk',
      ExpressionAttributeNames: { '#listPk': LIST_INDEX.partition },
      ExpressionAttributeValues: { ':listPk': options.partition },
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
  return {
    items: page.map(options.fromItem),
    nextCursor: Items.length > limit && typeof lastSort === 'string' ? encodeListCursor(lastSort) : null,
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
