import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, ConflictError, NotFoundError } from '#commons/errors';
import type { UserSchedule } from '#domain/user';
import type { UserEvent } from '#domain/user-event';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { RewindGuard } from '#ports/user-repository';
import { advanceScheduleOf, rewindScheduleOf, writtenAtOf } from './dynamo-user-repository';
import { SingleItemReader, type ItemReader } from './item-reader';
import { queryPages } from './query-pages';
import { LIST_INDEX, dueAttributesOf, eventsOfTypePartition, keys, shardOf } from './table-layout';
import { itemFields } from './item-fields';

export const USER_EVENT_ENTITY = 'event';
const EVENT_PREFIX = 'EVENT#';

/**
 * The item of a user event: beside its user (same partition, so one Query lists a user's events),
 * in the list index under its type, and in the sparse slot index while it has a schedule
 * (sharded by the event id, like users by theirs).
 */
export function userEventToItem(event: UserEvent, dueShards: number): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...keys.userEvent(event.userId, event.id),
    entity: USER_EVENT_ENTITY,
    [LIST_INDEX.partition]: eventsOfTypePartition(event.type),
    [LIST_INDEX.sort]: `${event.userId}#${event.id}`,
    id: event.id,
    userId: event.userId,
    type: event.type,
    date: event.date,
    createdAt: event.createdAt,
    updatedAt: event.updatedAt,
    version: event.version,
  };
  Object.assign(item, dueAttributesOf(event.schedule, event.id, dueShards), writtenAtOf(event.updatedAt));
  if (event.lastRequestId !== undefined) item.lastRequestId = event.lastRequestId;
  return item;
}

/** @throws Error when the item is not a user event item (a bug or foreign data). */
export function userEventFromItem(item: Record<string, unknown>): UserEvent {
  const { text, integer, schedule } = itemFields(item, `event item ${String(item.sk)}`);
  return {
    id: text('id'),
    userId: text('userId'),
    type: text('type'),
    date: text('date'),
    createdAt: text('createdAt'),
    updatedAt: text('updatedAt'),
    version: integer('version'),
    schedule: schedule(),
    ...(item.lastRequestId === undefined ? {} : { lastRequestId: text('lastRequestId') }),
  };
}

/** UserEventRepository on the single table; single-item conditional writes only. */
export class DynamoUserEventRepository implements UserEventRepository {
  private readonly reader: ItemReader;

  constructor(
    private readonly options: {
      client: DynamoDBDocumentClient;
      tableName: string;
      dueShards: number;
      /** How single events are read (the worker batches its reads); one GetItem each by default. */
      reader?: ItemReader;
    },
  ) {
    this.reader = options.reader ?? new SingleItemReader(options);
  }

  async create(event: UserEvent): Promise<void> {
    if (!(await this.put(event, 'attribute_not_exists(pk)'))) {
      throw new AlreadyExistsError(`event ${event.id} already exists`);
    }
  }

  async get(userId: string, eventId: string): Promise<UserEvent | undefined> {
    const item = await this.reader.read(keys.userEvent(userId, eventId), { consistent: true });
    return item ? userEventFromItem(item) : undefined;
  }

  async listByUser(userId: string): Promise<UserEvent[]> {
    const events: UserEvent[] = [];
    for await (const items of queryPages(this.options.client, {
      TableName: this.options.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.user(userId).pk, ':prefix': EVENT_PREFIX },
      ConsistentRead: true,
    })) {
      events.push(...items.map(userEventFromItem));
    }
    return events;
  }

  async delete(userId: string, eventId: string): Promise<boolean> {
    const { Attributes } = await this.options.client.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: keys.userEvent(userId, eventId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async replace(event: UserEvent, expectedVersion: number): Promise<void> {
    if (
      await this.put(event, 'attribute_exists(pk) AND version = :expected', { ':expected': expectedVersion })
    ) {
      return;
    }
    if ((await this.get(event.userId, event.id)) === undefined) throw new NotFoundError('event', event.id);
    throw new ConflictError(`event ${event.id} is no longer at version ${expectedVersion}`);
  }

  advanceSchedule(
    userId: string,
    eventId: string,
    expectedVersion: number,
    to: UserSchedule | null,
    writtenAt: number,
  ): Promise<boolean> {
    return advanceScheduleOf(this.options.client, this.options.tableName, keys.userEvent(userId, eventId), {
      expectedVersion,
      to,
      shard: shardOf(eventId, this.options.dueShards),
      writtenAt,
    });
  }

  rewindSchedule(userId: string, eventId: string, to: UserSchedule, guard: RewindGuard): Promise<boolean> {
    return rewindScheduleOf(
      this.options.client,
      this.options.tableName,
      keys.userEvent(userId, eventId),
      to,
      shardOf(eventId, this.options.dueShards),
      guard,
    );
  }

  async hasEventsOfType(typeKey: string): Promise<boolean> {
    const { Items = [] } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: LIST_INDEX.name,
        KeyConditionExpression: '#listPk = :listPk',
        ExpressionAttributeNames: { '#listPk': LIST_INDEX.partition },
        ExpressionAttributeValues: { ':listPk': eventsOfTypePartition(typeKey) },
        Limit: 1,
      }),
    );
    return Items.length > 0;
  }

  private async put(event: UserEvent, condition: string, values?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: userEventToItem(event, this.options.dueShards),
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
