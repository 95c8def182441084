import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog, AuditPage, AuditQuery } from '#ports/audit-log';
import { InvalidCursorError } from '#ports/user-repository';
import { decodeListCursor, encodeListCursor, type Item } from './list-index';
import { keys, USER_OCCURRENCE_INDEX } from './table-layout';

const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The audit log, one partition per UTC day (`AUDIT#<day>`), entries sorted by their time-ordered
 * id. Admin writes are rare, so one partition a day never runs hot; a listing walks the days of
 * its range newest first and filters on the server side.
 */
export class DynamoAuditLog implements AuditLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(deps: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = deps.client;
    this.tableName = deps.tableName;
  }

  /**
   * An entry about a user also goes into the user-occurrence index (`USER#<userId>`, at), so the
   * privacy export and erasure find it without walking every day of the log.
   */
  async record(entry: AuditEntry): Promise<void> {
    const subject = auditSubjectUserOf(entry);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.audit(entry.at.slice(0, 10), entry.id),
          entity: 'audit',
          ...entry,
          ...(subject === undefined
            ? {}
            : {
                [USER_OCCURRENCE_INDEX.partition]: `USER#${subject}`,
                [USER_OCCURRENCE_INDEX.sort]: Date.parse(entry.at),
              }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const start = query.cursor === undefined ? undefined : decodePosition(query.cursor);
    const items: AuditEntry[] = [];
    const filters = filterOf(query);
    // Newest day first; a cursor resumes inside its day.
    let dayStart = Date.parse(`${start?.day ?? dayOf(query.to)}T00:00:00.000Z`);
    let after = start?.after;
    const lastDay = Date.parse(`${dayOf(query.from)}T00:00:00.000Z`);
    for (; dayStart >= lastDay; dayStart -= DAY_MS, after = undefined) {
      const day = dayOf(dayStart);
      let exclusiveStartKey: Record<string, unknown> | undefined = after ? keys.audit(day, after) : undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: filters.expression,
            ExpressionAttributeNames: filters.names,
            ExpressionAttributeValues: { ':pk': keys.audit(day, '').pk, ...filters.values },
            ScanIndexForward: false,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const entry = entryOf(item);
          items.push(entry);
          if (items.length === query.limit) {
            return { items, nextCursor: encodeListCursor(`${day}#${entry.id}`) };
          }
        }
        exclusiveStartKey = page.LastEvaluatedKey;
      } while (exclusiveStartKey);
    }
    return { items, nextCursor: null };
  }
}

function filterOf(query: AuditQuery): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = { '#at': 'at' };
  const values: Record<string, unknown> = {
    ':from': new Date(query.from).toISOString(),
    ':to': new Date(query.to).toISOString(),
  };
  const conditions = ['#at BETWEEN :from AND :to'];
  for (const field of ['keyId', 'resource', 'resourceId'] as const) {
    const value = query[field];
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    conditions.push(`#${field} = :${field}`);
  }
  return { expression: conditions.join(' AND '), names, values };
}

function decodePosition(cursor: string): { day: string; after: string } {
  const [day = '', after = ''] = decodeListCursor(cursor).split('#');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || after === '') {
    throw new InvalidCursorError('cursor is not one this service issued');
  }
  return { day, after };
}

/**
 * The user an entry is about, when its `before`/`after` may hold that user's data: the user
 * itself and its preferences (`resourceId` is the user id), one of its events (`<userId>/<eventId>`)
 * and a command on one of its notifications (the notification names its `userId`). Bulk
 * summaries (`user-bulk`) list ids only and are not indexed.
 */
export function auditSubjectUserOf(
  entry: Pick<AuditEntry, 'resource' | 'resourceId' | 'before' | 'after'>,
): string | undefined {
  switch (entry.resource) {
    case 'user':
    case 'user-preferences':
      return entry.resourceId;
    case 'user-event':
      return entry.resourceId.split('/')[0] || undefined;
    case 'notification':
      return userIdIn(entry.after) ?? userIdIn(entry.before);
    default:
      return undefined;
  }
}

const userIdIn = (value: unknown): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const userId = (value as Record<string, unknown>).userId;
  return typeof userId === 'string' && userId !== '' ? userId : undefined;
};

/** Drops the storage keys, the user-index keys among them. */
export function entryOf(item: Item): AuditEntry {
  const {
    pk: _pk,
    sk: _sk,
    entity: _entity,
    [USER_OCCURRENCE_INDEX.partition]: _userPk,
    [USER_OCCURRENCE_INDEX.sort]: _at,
    ...entry
  } = item;
  return entry as unknown as AuditEntry;
}
