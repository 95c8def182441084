import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, ConflictError } from '#commons/errors';
import type { ApiKey } from '#domain/api-key';
import type { ApiKeyPage, ApiKeyRepository } from '#ports/api-key-repository';
import { listIndexPage, type Item } from './list-index';
import { API_KEY_LIST_PARTITION, keys } from './table-layout';
import { itemFields } from './item-fields';

const ENTITY = 'api-key';

function apiKeyToItem(key: ApiKey): Item {
  return {
    ...keys.apiKey(key.keyId),
    entity: ENTITY,
    listPk: API_KEY_LIST_PARTITION,
    listSk: key.keyId,
    ...key,
  };
}

/** @throws Error when the item is not an API key item (a bug or foreign data, never user input). */
function apiKeyFromItem(item: Item): ApiKey {
  const { text, optionalText, integer } = itemFields(item, `api key item ${String(item.pk)}`);
  const role = text('role');
  if (role !== 'admin' && role !== 'viewer') throw new Error(`api key item ${String(item.pk)}: bad role`);
  const revokedAt = optionalText('revokedAt');
  return {
    keyId: text('keyId'),
    name: text('name'),
    role,
    secretHash: text('secretHash'),
    createdAt: text('createdAt'),
    createdBy: text('createdBy'),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    version: integer('version'),
  };
}

/** API keys as single items, listed through the list index (`APIKEY`, key id). */
export class DynamoApiKeyRepository implements ApiKeyRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(deps: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = deps.client;
    this.tableName = deps.tableName;
  }

  async create(key: ApiKey): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: apiKeyToItem(key),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new AlreadyExistsError(key.keyId);
      throw error;
    }
  }

  async get(keyId: string): Promise<ApiKey | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.apiKey(keyId), ConsistentRead: true }),
    );
    return Item ? apiKeyFromItem(Item) : undefined;
  }

  async save(key: ApiKey): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: apiKeyToItem(key),
          ConditionExpression: 'version = :previous',
          ExpressionAttributeValues: { ':previous': key.version - 1 },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(key.keyId);
      throw error;
    }
  }

  list(limit: number, cursor?: string): Promise<ApiKeyPage> {
    return listIndexPage({
      client: this.client,
      tableName: this.tableName,
      partition: API_KEY_LIST_PARTITION,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      tableKeyOf: (keyId) => keys.apiKey(keyId),
      fromItem: apiKeyFromItem,
    });
  }
}
