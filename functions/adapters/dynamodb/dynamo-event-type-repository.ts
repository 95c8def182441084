import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventType, PreviousWebhookSecret, Recurrence } from '#domain/event-type';
import type { LeapDayPolicy } from '#domain/schedule';
import type { EventTypeRepository } from '#ports/event-type-repository';
import { listIndexAll } from './list-index';
import { EVENT_TYPE_LIST_PARTITION, LIST_INDEX, keys } from './table-layout';
import { itemFields } from './item-fields';

const ENTITY = 'eventType';

/**
 * The item of a stored event type. The webhook secret sits in the item (the table is encrypted
 * at rest); the API never shows it again after the answer that generated it.
 */
export function eventTypeToItem(type: EventType): Record<string, unknown> {
  return {
    ...keys.eventType(type.key),
    entity: ENTITY,
    [LIST_INDEX.partition]: EVENT_TYPE_LIST_PARTITION,
    [LIST_INDEX.sort]: type.key,
    key: type.key,
    builtIn: type.builtIn,
    template: type.template,
    sendAt: type.sendAt,
    leapDay: type.leapDay,
    maxLatenessHours: type.maxLatenessHours,
    enabled: type.enabled,
    recurrence: type.recurrence,
    ...(type.webhookUrl === undefined ? {} : { webhookUrl: type.webhookUrl }),
    ...(type.webhookSecret === undefined ? {} : { webhookSecret: type.webhookSecret }),
    ...(type.previousWebhookSecrets?.length
      ? {
          previousWebhookSecrets: type.previousWebhookSecrets.map(({ secret, expiresAt }) => ({
            secret,
            expiresAt,
          })),
        }
      : {}),
    ...(type.createdAt === undefined ? {} : { createdAt: type.createdAt }),
    ...(type.updatedAt === undefined ? {} : { updatedAt: type.updatedAt }),
    version: type.version,
  };
}

export function eventTypeFromItem(item: Record<string, unknown>): EventType {
  const { text, optionalText } = itemFields(item, `event type item ${String(item.pk)}`);
  const webhookUrl = optionalText('webhookUrl');
  const webhookSecret = optionalText('webhookSecret');
  const previousWebhookSecrets = previousSecretsOf(item.previousWebhookSecrets);
  const createdAt = optionalText('createdAt');
  const updatedAt = optionalText('updatedAt');
  return {
    key: text('key'),
    builtIn: item.builtIn === true,
    template: text('template'),
    sendAt: text('sendAt'),
    leapDay: text('leapDay') as LeapDayPolicy,
    maxLatenessHours: Number(item.maxLatenessHours),
    enabled: item.enabled === true,
    recurrence: text('recurrence') as Recurrence,
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
    ...(previousWebhookSecrets.length > 0 ? { previousWebhookSecrets } : {}),
    ...(createdAt === undefined ? {} : { createdAt }),
    ...(updatedAt === undefined ? {} : { updatedAt }),
    version: Number(item.version),
  };
}

/** The rotated-out secrets of an item (a list of `{ secret, expiresAt }`); anything else is none. */
function previousSecretsOf(value: unknown): PreviousWebhookSecret[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { secret, expiresAt } = entry as Record<string, unknown>;
    return typeof secret === 'string' && typeof expiresAt === 'number' ? [{ secret, expiresAt }] : [];
  });
}

/** EventTypeRepository on the single table. */
export class DynamoEventTypeRepository implements EventTypeRepository {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async get(key: string): Promise<EventType | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.eventType(key), ConsistentRead: true }),
    );
    return Item ? eventTypeFromItem(Item) : undefined;
  }

  list(): Promise<EventType[]> {
    return listIndexAll({
      ...this.options,
      partition: EVENT_TYPE_LIST_PARTITION,
      fromItem: eventTypeFromItem,
    });
  }

  put(type: EventType, expectedVersion: number): Promise<boolean> {
    const { client, tableName } = this.options;
    const condition =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    return conditionally(() =>
      client.send(new PutCommand({ TableName: tableName, Item: eventTypeToItem(type), ...condition })),
    );
  }

  delete(key: string, expectedVersion: number): Promise<boolean> {
    const { client, tableName } = this.options;
    return conditionally(() =>
      client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: keys.eventType(key),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
  }
}

/** Runs a conditional write; false when its condition failed. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
