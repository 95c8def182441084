import { SqsError } from './errors';
import type { Input } from './input';
import type { LongPolls } from './long-poll';
import { md5OfMessageAttributes } from './md5';
import type { AttributeMap, MoveTaskRecord } from './model';
import type { QueueStore, Received } from './queue-store';
import {
  BATCH_ENTRY_ID,
  checkBody,
  checkRange,
  LIMITS,
  messageSize,
  parseMessageAttributes,
} from './validation';

export type Output = Record<string, unknown>;

export interface OperationContext {
  /** Registers a callback for a client that disconnects before the answer (long polls). */
  onClose(callback: () => void): void;
}

export type Operation = (input: Input, context: OperationContext) => Output | Promise<Output>;

/** Operations whose effects can make a message receivable somewhere, so long polls re-check. */
export const WAKING_OPERATIONS = new Set([
  'SendMessage',
  'SendMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'ReceiveMessage',
  'StartMessageMoveTask',
  'DeleteQueue',
  'SetQueueAttributes',
]);

/**
 * The AWS JSON 1.0 operations, by the name in `x-amz-target: AmazonSQS.<Name>`: input members
 * and output shapes as in the SDK's schema (client-sqs dist-es/schemas/schemas_0.js).
 */
export function createOperations(
  store: QueueStore,
  polls: LongPolls,
  accountId: string,
): Map<string, Operation> {
  const queueName = (input: Input): string => store.nameFromUrl(input.string('QueueUrl'));

  const operations: Record<string, Operation> = {
    CreateQueue: (input) => ({
      QueueUrl: store.createQueue(input.string('QueueName'), input.stringMap('Attributes')),
    }),

    GetQueueUrl: (input) => ({ QueueUrl: store.getQueueUrl(input.string('QueueName')) }),

    ListQueues: (input) => {
      const names = store.listQueues(input.optionalString('QueueNamePrefix'));
      const { page, nextToken } = paginate(
        names,
        input.optionalInt('MaxResults'),
        input.optionalString('NextToken'),
      );
      return withDefined({
        QueueUrls: page.length > 0 ? page.map((name) => store.urlOf(name)) : undefined,
        NextToken: nextToken,
      });
    },

    DeleteQueue: (input) => {
      store.deleteQueue(queueName(input));
      return {};
    },

    PurgeQueue: (input) => {
      store.purgeQueue(queueName(input));
      return {};
    },

    GetQueueAttributes: (input) => {
      const attributes = store.getQueueAttributes(queueName(input), input.stringList('AttributeNames'));
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    },

    SetQueueAttributes: (input) => {
      store.setQueueAttributes(queueName(input), input.stringMap('Attributes'));
      return {};
    },

    ListDeadLetterSourceQueues: (input) => {
      const names = store.listDeadLetterSourceQueues(queueName(input));
      const { page, nextToken } = paginate(
        names,
        input.optionalInt('MaxResults'),
        input.optionalString('NextToken'),
      );
      return withDefined({ queueUrls: page.map((name) => store.urlOf(name)), NextToken: nextToken });
    },

    SendMessage: (input) => {
      const name = queueName(input);
      const result = sendOne(store, name, input);
      return withDefined({
        MD5OfMessageBody: result.md5Body,
        MD5OfMessageAttributes: result.md5Attributes,
        MD5OfMessageSystemAttributes: result.md5SystemAttributes,
        MessageId: result.messageId,
      });
    },

    SendMessageBatch: (input) => {
      const name = queueName(input);
      store.getQueueUrl(name);
      const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
      const total = entries.reduce((sum, { entry }) => sum + rawMessageSize(entry), 0);
      if (total > LIMITS.maxBatchPayload) {
        throw new SqsError(
          'BatchRequestTooLong',
          `Batch requests cannot be longer than ${LIMITS.maxBatchPayload} bytes. You have sent ${total} bytes.`,
        );
      }
      return runBatch(entries, (entry, id) => {
        const result = sendOne(store, name, entry);
        return withDefined({
          Id: id,
          MessageId: result.messageId,
          MD5OfMessageBody: result.md5Body,
          MD5OfMessageAttributes: result.md5Attributes,
          MD5OfMessageSystemAttributes: result.md5SystemAttributes,
        });
      });
    },

    ReceiveMessage: (input, context) => {
      const name = queueName(input);
      const maxMessages = input.optionalInt('MaxNumberOfMessages') ?? 1;
      checkRange('MaxNumberOfMessages', maxMessages, 1, LIMITS.maxMessagesPerReceive);
      const visibilityTimeout = input.optionalInt('VisibilityTimeout');
      if (visibilityTimeout !== undefined) {
        checkRange('VisibilityTimeout', visibilityTimeout, 0, LIMITS.maxVisibilityTimeout);
      }
      const requestedWait = input.optionalInt('WaitTimeSeconds');
      if (requestedWait !== undefined)
        checkRange('WaitTimeSeconds', requestedWait, 0, LIMITS.maxWaitTimeSeconds);
      // AttributeNames is the deprecated spelling of MessageSystemAttributeNames; honour both.
      const systemNames = new Set([
        ...input.stringList('AttributeNames'),
        ...input.stringList('MessageSystemAttributeNames'),
      ]);
      const attributeNames = input.stringList('MessageAttributeNames');
      const answer = (received: Received[]): Output =>
        received.length === 0
          ? {}
          : { Messages: received.map((item) => toMessage(item, systemNames, attributeNames, accountId)) };

      const first = store.receiveMessages(name, maxMessages, visibilityTimeout);
      const wait =
        requestedWait ??
        Number(
          store.getQueueAttributes(name, ['ReceiveMessageWaitTimeSeconds']).ReceiveMessageWaitTimeSeconds,
        );
      if (first.length > 0 || wait === 0) return answer(first);

      const pending = polls.wait<Output>({
        waitSeconds: wait,
        empty: {},
        nextDueAt: () => store.nextDueAt(name),
        attempt: () => {
          try {
            const received = store.receiveMessages(name, maxMessages, visibilityTimeout);
            return received.length > 0 ? answer(received) : undefined;
          } finally {
            store.flush();
          }
        },
      });
      context.onClose(() => {
        pending.cancel();
      });
      return pending.promise;
    },

    DeleteMessage: (input) => {
      store.deleteMessage(queueName(input), input.string('ReceiptHandle'));
      return {};
    },

    DeleteMessageBatch: (input) => {
      const name = queueName(input);
      store.getQueueUrl(name);
      return runBatch(batchEntries(input, 'DeleteMessageBatchRequestEntry'), (entry, id) => {
        store.deleteMessage(name, entry.string('ReceiptHandle'));
        return { Id: id };
      });
    },

    ChangeMessageVisibility: (input) => {
      const timeout = input.optionalInt('VisibilityTimeout');
      if (timeout === undefined) throw missing('VisibilityTimeout');
      store.changeMessageVisibility(queueName(input), input.string('ReceiptHandle'), timeout);
      return {};
    },

    ChangeMessageVisibilityBatch: (input) => {
      const name = queueName(input);
      store.getQueueUrl(name);
      return runBatch(batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry'), (entry, id) => {
        const timeout = entry.optionalInt('VisibilityTimeout');
        if (timeout === undefined) throw missing('VisibilityTimeout');
        store.changeMessageVisibility(name, entry.string('ReceiptHandle'), timeout);
        return { Id: id };
      });
    },

    StartMessageMoveTask: (input) => ({
      TaskHandle: store.startMessageMoveTask(
        input.string('SourceArn'),
        input.optionalString('DestinationArn'),
        input.optionalInt('MaxNumberOfMessagesPerSecond'),
      ),
    }),

    ListMessageMoveTasks: (input) => ({
      Results: store
        .listMessageMoveTasks(input.string('SourceArn'), input.optionalInt('MaxResults') ?? 1)
        .map(toTaskEntry),
    }),

    CancelMessageMoveTask: (input) => store.cancelMessageMoveTask(input.string('TaskHandle')),
  };
  return new Map(Object.entries(operations));
}

function sendOne(store: QueueStore, name: string, input: Input): ReturnType<QueueStore['sendMessage']> {
  const body = input.optionalString('MessageBody') ?? '';
  checkBody(body);
  return store.sendMessage(name, {
    body,
    delaySeconds: input.optionalInt('DelaySeconds'),
    attributes: parseMessageAttributes(input.objectMap('MessageAttributes')),
    systemAttributes: parseMessageAttributes(input.objectMap('MessageSystemAttributes'), true),
  });
}

/** Size of an entry before validation, for the whole-batch limit. */
function rawMessageSize(entry: Input): number {
  try {
    return messageSize(
      entry.optionalString('MessageBody') ?? '',
      parseMessageAttributes(entry.objectMap('MessageAttributes')),
    );
  } catch {
    // An invalid entry fails on its own below; it does not count towards the batch size.
    return 0;
  }
}

interface BatchEntry {
  id: string;
  entry: Input;
}

/** The whole-request batch checks, in the order the API Reference lists the errors. */
function batchEntries(input: Input, entryName: string): BatchEntry[] {
  const entries = input.list('Entries') ?? [];
  if (entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
  }
  if (entries.length > LIMITS.maxBatchEntries) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${LIMITS.maxBatchEntries}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    const id = entry.string('Id');
    if (!BATCH_ENTRY_ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
    return { id, entry };
  });
}

/** Runs each entry on its own: a client error fails that entry only, as AWS batch calls do. */
function runBatch(entries: BatchEntry[], run: (entry: Input, id: string) => Output): Output {
  const successful: Output[] = [];
  const failed: Output[] = [];
  for (const { id, entry } of entries) {
    try {
      successful.push(run(entry, id));
    } catch (error) {
      if (!(error instanceof SqsError) || error.code === 'QueueDoesNotExist') throw error;
      failed.push({ Id: id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

function toMessage(
  received: Received,
  systemNames: Set<string>,
  attributeNames: string[],
  accountId: string,
): Output {
  const { record, receiptHandle } = received;
  const wants = (name: string): boolean => systemNames.has('All') || systemNames.has(name);
  const system: Record<string, string> = {};
  if (wants('SenderId')) system.SenderId = accountId;
  if (wants('SentTimestamp')) system.SentTimestamp = String(record.sentAt);
  if (wants('ApproximateReceiveCount')) system.ApproximateReceiveCount = String(record.receiveCount);
  if (wants('ApproximateFirstReceiveTimestamp') && record.firstReceiveAt !== undefined) {
    system.ApproximateFirstReceiveTimestamp = String(record.firstReceiveAt);
  }
  const traceHeader = record.systemAttributes?.AWSTraceHeader?.StringValue;
  if (wants('AWSTraceHeader') && traceHeader !== undefined) system.AWSTraceHeader = traceHeader;
  if (wants('DeadLetterQueueSourceArn') && record.deadLetterSourceArn !== undefined) {
    system.DeadLetterQueueSourceArn = record.deadLetterSourceArn;
  }
  const attributes = selectAttributes(record.attributes, attributeNames);
  return withDefined({
    MessageId: record.id,
    ReceiptHandle: receiptHandle,
    MD5OfBody: record.md5Body,
    Body: record.body,
    Attributes: Object.keys(system).length > 0 ? system : undefined,
    // The digest covers the attributes returned, not all the message has (what AWS does).
    MD5OfMessageAttributes: md5OfMessageAttributes(attributes),
    MessageAttributes: attributes,
  });
}

/** MessageAttributeNames: "All" or ".*" for all, "prefix.*" for a prefix, else exact names. */
function selectAttributes(attributes: AttributeMap | undefined, names: string[]): AttributeMap | undefined {
  if (!attributes || names.length === 0) return undefined;
  const matches = (name: string): boolean =>
    names.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  const selected: AttributeMap = {};
  for (const [name, value] of Object.entries(attributes)) if (matches(name)) selected[name] = value;
  return Object.keys(selected).length > 0 ? selected : undefined;
}

function toTaskEntry(task: MoveTaskRecord): Output {
  return withDefined({
    // AWS fills TaskHandle only while a task runs; ours never are once listed.
    TaskHandle: task.status === 'RUNNING' ? task.handle : undefined,
    Status: task.status,
    SourceArn: task.sourceArn,
    DestinationArn: task.destinationArn,
    MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond,
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    FailureReason: task.failureReason,
    StartedTimestamp: task.startedAt,
  });
}

/** ListQueues-style paging; the token is the last name of the previous page. */
function paginate(
  names: string[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { page: string[]; nextToken?: string } {
  if (maxResults !== undefined) checkRange('MaxResults', maxResults, 1, 1000);
  let start = 0;
  if (nextToken !== undefined) {
    const after = Buffer.from(nextToken, 'base64url').toString('utf8');
    if (after === '') throw new SqsError('InvalidParameterValue', 'Invalid NextToken value.');
    start = names.findIndex((name) => name > after);
    if (start < 0) start = names.length;
  }
  const size = maxResults ?? 1000;
  const page = names.slice(start, start + size);
  const last = page[page.length - 1];
  const more = maxResults !== undefined && start + size < names.length && last !== undefined;
  return more ? { page, nextToken: Buffer.from(last, 'utf8').toString('base64url') } : { page };
}

function missing(name: string): SqsError {
  return new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
}

/** Drops undefined members: AWS omits absent members rather than sending null. */
function withDefined(output: Output): Output {
  const result: Output = {};
  for (const [key, value] of Object.entries(output)) if (value !== undefined) result[key] = value;
  return result;
}
