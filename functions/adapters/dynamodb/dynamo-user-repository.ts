import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, ConflictError, NotFoundError } from '#commons/errors';
import type { StoredUser, UserSchedule } from '#domain/user';
import {
  InvalidCursorError,
  type RewindGuard,
  type UserPage,
  type UserRepository,
} from '#ports/user-repository';
import { listIndexPage } from './list-index';
import { USER_LIST_PARTITION, WRITTEN_AT, dueAttributesOf, keys, shardOf, slotKeysOf } from './table-layout';
import { itemFields } from './item-fields';
import { SingleItemReader, type ItemReader } from './item-reader';

export type UserItem = Record<string, unknown>;

const ENTITY = 'user';

/**
 * The DynamoDB item of a user: its profile, the list-index keys and, while a birthday is
 * scheduled, the slot-index keys. Without a schedule the due attributes are absent (not null), so
 * the item drops out of the sparse slot index.
 */
export function userToItem(user: StoredUser, dueShards: number): UserItem {
  const item: UserItem = {
    ...keys.user(user.id),
    entity: ENTITY,
    listPk: USER_LIST_PARTITION,
    listSk: user.id,
    id: user.id,
    firstName: user.firstName,
    lastName: user.lastName,
    birthday: user.birthday,
    timezone: user.timezone,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version,
  };
  Object.assign(item, dueAttributesOf(user.schedule, user.id, dueShards), writtenAtOf(user.updatedAt));
  if (user.lastRequestId !== undefined) item.lastRequestId = user.lastRequestId;
  if (user.preferences !== undefined) {
    item.optOut = [...user.preferences.optOut];
    if (user.preferences.sendAt !== undefined) item.preferredSendAt = user.preferences.sendAt;
  }
  return item;
}

/** @throws Error when the item is not a user item (a bug or foreign data, never user input). */
export function userFromItem(item: UserItem): StoredUser {
  const { text, integer, schedule } = itemFields(item, `user item ${String(item.pk)}`);
  const user: StoredUser = {
    id: text('id'),
    firstName: text('firstName'),
    lastName: text('lastName'),
    birthday: text('birthday'),
    timezone: text('timezone'),
    createdAt: text('createdAt'),
    updatedAt: text('updatedAt'),
    version: integer('version'),
    schedule: schedule(),
  };
  if (item.lastRequestId !== undefined) user.lastRequestId = text('lastRequestId');
  if (Array.isArray(item.optOut)) {
    user.preferences = {
      optOut: item.optOut.filter((key): key is string => typeof key === 'string'),
      ...(item.preferredSendAt === undefined ? {} : { sendAt: text('preferredSendAt') }),
    };
  }
  return user;
}

/**
 * UserRepository on the single table. Every write is one conditional single-item write (no
 * transactions: dynalite lacks them and they cost double).
 */
export class DynamoUserRepository implements UserRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly dueShards: number;

  private readonly reader: ItemReader;

  constructor(options: {
    client: DynamoDBDocumentClient;
    tableName: string;
    dueShards: number;
    /** How single users are read (the worker batches its reads); one GetItem each by default. */
    reader?: ItemReader;
  }) {
    if (!Number.isSafeInteger(options.dueShards) || options.dueShards < 1) {
      throw new Error(`dueShards must be a positive integer, got ${options.dueShards}`);
    }
    this.client = options.client;
    this.tableName = options.tableName;
    this.dueShards = options.dueShards;
    this.reader = options.reader ?? new SingleItemReader(options);
  }

  async create(user: StoredUser): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: userToItem(user, this.dueShards),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlreadyExistsError(`user ${user.id} already exists`);
      }
      throw error;
    }
  }

  async get(id: string): Promise<StoredUser | undefined> {
    // Consistent: an API client reads its own write, and replace() tells "gone" from "moved on".
    const item = await this.reader.read(keys.user(id), { consistent: true });
    return item ? userFromItem(item) : undefined;
  }

  async replace(user: StoredUser, expectedVersion: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: userToItem(user, this.dueShards),
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // dynalite does not return the item on a failed condition: read it to tell which case.
      if ((await this.get(user.id)) === undefined) throw new NotFoundError('user', user.id);
      throw new ConflictError(`user ${user.id} is no longer at version ${expectedVersion}`);
    }
  }

  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.user(id),
          ReturnValues: 'ALL_OLD',
          // If-Match: checked by the write itself, so a concurrent edit cannot slip in between.
          ...(expectedVersion === undefined
            ? {}
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return Attributes !== undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(id);
      throw error;
    }
  }

  list(limit: number, cursor?: string): Promise<UserPage> {
    return listIndexPage({
      client: this.client,
      tableName: this.tableName,
      partition: USER_LIST_PARTITION,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      tableKeyOf: (afterId) => {
        // Only a user id can be in a user cursor: it is all the start key derives from.
        if (!USER_ID.test(afterId)) throw new InvalidCursorError('cursor is not one this service issued');
        return keys.user(afterId);
      },
      fromItem: userFromItem,
    });
  }

  rewindSchedule(userId: string, to: UserSchedule, guard: RewindGuard): Promise<boolean> {
    return rewindScheduleOf(
      this.client,
      this.tableName,
      keys.user(userId),
      to,
      shardOf(userId, this.dueShards),
      guard,
    );
  }

  advanceSchedule(
    userId: string,
    expectedVersion: number,
    to: UserSchedule | null,
    writtenAt: number,
  ): Promise<boolean> {
    return advanceScheduleOf(this.client, this.tableName, keys.user(userId), {
      expectedVersion,
      to,
      shard: shardOf(userId, this.dueShards),
      writtenAt,
    });
  }
}

/**
 * `writtenAt` of an item written whole (an API create or edit): those stamp `updatedAt` with
 * their clock on every write, so it is the instant of the write. Partial writes (advance,
 * rewind) set `writtenAt` themselves.
 */
export function writtenAtOf(updatedAt: string): Record<string, number> {
  const at = Date.parse(updatedAt);
  return Number.isFinite(at) ? { [WRITTEN_AT]: at } : {};
}

/**
 * Moves a schedule to `to` (`null` takes the item out of the slot index), only if the item is
 * still at `expectedVersion`: the version the scheduler built the occurrence from (its copy may
 * be stale). The version moves too, so an API edit that read the old schedule conflicts and
 * re-reads instead of writing the handled occurrence back. Shared by users and events.
 */
export async function advanceScheduleOf(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, string>,
  options: { expectedVersion: number; to: UserSchedule | null; shard: number; writtenAt: number },
): Promise<boolean> {
  const { expectedVersion, to, shard, writtenAt } = options;
  const update = to
    ? 'SET nextLocalDate = :toDate, dueAt = :toDueAt, slotPk = :toSlotPk, slotAt = :toSlotAt, ' +
      'writtenAt = :writtenAt, version = version + :one'
    : 'REMOVE nextLocalDate, dueAt, slotPk, slotAt SET writtenAt = :writtenAt, version = version + :one';
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: update,
        // Any edit since the pass read the item (its copy may be stale) bumped the version.
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: {
          ':expected': expectedVersion,
          ':one': 1,
          ':writtenAt': writtenAt,
          ...(to ? scheduleValues(to, shard) : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Moves a schedule back to `to` (one conditional update), while the item exists and either is
 * still at the version the worker read (nothing was written since: its anchor may be of a past
 * year, ADR 0009, and is replaced whatever its date), or still has the anchor the worker read (an
 * edit since kept the schedule), or has no schedule, or its anchor is later than `to` (the
 * scheduler moved it on in between). An API edit since the read that scheduled it
 * at or before `to` wins. Bumps the version so a pass holding the old copy does not write it back.
 * Shared by users (birthday) and events.
 */
export async function rewindScheduleOf(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, string>,
  to: UserSchedule,
  shard: number,
  guard: RewindGuard,
): Promise<boolean> {
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression:
          'SET nextLocalDate = :toDate, dueAt = :toDueAt, slotPk = :toSlotPk, slotAt = :toSlotAt, ' +
          'writtenAt = :writtenAt, version = version + :one',
        ConditionExpression:
          'attribute_exists(pk) AND (version = :read OR attribute_not_exists(dueAt) OR dueAt > :toDueAt' +
          (guard.readDueAt === undefined ? ')' : ' OR dueAt = :readDueAt)'),
        ExpressionAttributeValues: {
          ...scheduleValues(to, shard),
          ...(guard.readDueAt === undefined ? {} : { ':readDueAt': guard.readDueAt }),
          ':read': guard.readVersion,
          ':writtenAt': guard.writtenAt,
          ':one': 1,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

function scheduleValues(to: UserSchedule, shard: number): Record<string, string | number> {
  const { slotPk, slotAt } = slotKeysOf(to.dueAt, shard);
  return { ':toDate': to.localDate, ':toDueAt': to.dueAt, ':toSlotPk': slotPk, ':toSlotAt': slotAt };
}

const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;
