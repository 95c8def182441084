import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReplayJob } from '#domain/replay-job';
import type { ReplayJobPage, ReplayJobRepository } from '#ports/replay-job-repository';
import { InvalidCursorError } from '#ports/user-repository';
import { listIndexPage, type Item } from './list-index';
import { keys, REPLAY_JOB_LIST_PARTITION } from './table-layout';

const ENTITY = 'replay-job';
const JOB_ID = /^rpl_[0-9a-f]{32}$/;

/** Oldest first in the list index: the creation instant, then the id. */
const listSortOf = (job: ReplayJob): string => `${new Date(job.createdAt).toISOString()}#${job.id}`;

function toItem(job: ReplayJob): Item {
  return {
    ...keys.replayJob(job.id),
    entity: ENTITY,
    listPk: REPLAY_JOB_LIST_PARTITION,
    listSk: listSortOf(job),
    ...job,
  };
}

function fromItem(item: Item): ReplayJob {
  const { pk: _pk, sk: _sk, entity: _entity, listPk: _listPk, listSk: _listSk, ...rest } = item;
  return rest as unknown as ReplayJob;
}

/** Replay jobs as single items (`REPLAY#<id>`, `JOB`), listed through the list index. */
export class DynamoReplayJobRepository implements ReplayJobRepository {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  create(job: ReplayJob): Promise<boolean> {
    return this.put(job, 'attribute_not_exists(pk)');
  }

  async get(id: string): Promise<ReplayJob | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.replayJob(id), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  save(job: ReplayJob): Promise<boolean> {
    return this.put(job, 'version = :previous', { ':previous': job.version - 1 });
  }

  list(limit: number, cursor?: string): Promise<ReplayJobPage> {
    return listIndexPage({
      client: this.options.client,
      tableName: this.options.tableName,
      partition: REPLAY_JOB_LIST_PARTITION,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      tableKeyOf: (sortValue) => {
        const id = sortValue.split('#')[1] ?? '';
        if (!JOB_ID.test(id)) throw new InvalidCursorError('cursor is not one this service issued');
        return keys.replayJob(id);
      },
      fromItem,
    });
  }

  private async put(job: ReplayJob, condition: string, values?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: toItem(job),
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
