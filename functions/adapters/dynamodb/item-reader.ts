import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetInOrder, identityOf, type TableKey } from './batch-get';

type Item = Record<string, unknown>;

/** Reads one item by its table key; how (one GetItem, or batched with others) is the reader's. */
export interface ItemReader {
  read(key: TableKey, options: { consistent: boolean }): Promise<Item | undefined>;
}

interface TableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** One GetItem per read: what the API and the scheduler use. */
export class SingleItemReader implements ItemReader {
  constructor(private readonly options: TableOptions) {}

  async read(key: TableKey, options: { consistent: boolean }): Promise<Item | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: options.consistent }),
    );
    return Item;
  }
}

interface PendingRead {
  key: TableKey;
  resolve: (item: Item | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the reads asked for while the current work runs (until the next `setImmediate`) into
 * one BatchGetItem per consistency, instead of a GetItem each. The worker handles the ten
 * records of an SQS batch side by side: a pointer message reads its occurrence, then its user, at
 * about the same moment as the others (two requests for the batch instead of twenty); a plan
 * (ADR 0010) reads its user after its claim, so the reads of claims that end together share one
 * (a few requests for the batch instead of ten). Each read still happens after
 * it was asked for, with the consistency it asked for, so a caller sees nothing older than a
 * GetItem of its own would have shown it; the read units are the same (BatchGetItem bills per
 * item), only the request count drops (docs/performance.md, "Throughput and burst").
 *
 * @example
 * const reader = new CoalescingItemReader({ client, tableName });
 * const [a, b] = await Promise.all([reader.read(keyA, strong), reader.read(keyB, strong)]); // one request
 */
export class CoalescingItemReader implements ItemReader {
  private readonly waiting = new Map<boolean, PendingRead[]>();
  private flushScheduled = false;
  private readonly single: SingleItemReader;

  constructor(private readonly options: TableOptions) {
    this.single = new SingleItemReader(options);
  }

  read(key: TableKey, options: { consistent: boolean }): Promise<Item | undefined> {
    return new Promise((resolve, reject) => {
      const group = this.waiting.get(options.consistent) ?? [];
      group.push({ key, resolve, reject });
      this.waiting.set(options.consistent, group);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate, not a microtask: it runs once every record's promise chain has reached
        // its next read, so reads asked for a few awaits apart still share one request.
        setImmediate(() => {
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const groups = [...this.waiting.entries()];
    this.waiting.clear();
    for (const [consistent, reads] of groups) void this.readGroup(reads, consistent);
  }

  private async readGroup(reads: readonly PendingRead[], consistent: boolean): Promise<void> {
    try {
      const items = await batchGetInOrder(
        this.options.client,
        this.options.tableName,
        reads.map((pending) => pending.key),
        { consistent },
      );
      const byKey = new Map(items.map((item) => [identityOf(item), item]));
      for (const pending of reads) pending.resolve(byKey.get(identityOf(pending.key)));
    } catch (error) {
      if (reads.length === 1) {
        reads[0]?.reject(error);
        return;
      }
      // One bad key (or a throttled request) must not fail the other records of the batch:
      // each read is made again on its own, and fails or succeeds as its own GetItem would.
      for (const pending of reads) {
        this.single.read(pending.key, { consistent }).then(pending.resolve, pending.reject);
      }
    }
  }
}
