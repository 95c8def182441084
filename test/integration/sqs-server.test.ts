import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidBatchEntryId,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
  type Message,
} from '@aws-sdk/client-sqs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { startSqsServer, type SimulatedClockLike, type SqsServer } from '#local/sqs/sqs-server';

/** The manual clock plus the change notification the server subscribes to (as the local runtime's clock does). */
class ObservableClock extends ManualClock implements SimulatedClockLike {
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  override advance(ms: number): void {
    super.advance(ms);
    for (const listener of this.listeners) listener();
  }
}

const START = Date.parse('2027-03-14T09:00:00Z');
const SECOND = 1000;

const clientFor = (endpoint: string): SQSClient =>
  new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

/** Lets an HTTP request reach the server (I/O ordering only; time itself comes from the clock). */
const letRequestArrive = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe('the local SQS server', () => {
  const clock = new ObservableClock(START);
  let server: SqsServer;
  let sqs: SQSClient;
  let queueCount = 0;

  beforeAll(async () => {
    server = await startSqsServer({ clock });
    sqs = clientFor(server.endpoint);
  });

  afterAll(async () => {
    sqs.destroy();
    await server.stop();
  });

  async function newQueue(
    attributes: Record<string, string> = {},
  ): Promise<{ url: string; name: string; arn: string }> {
    queueCount += 1;
    const name = `queue-${queueCount}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return { url: QueueUrl!, name, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
  }

  async function counts(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  }

  async function receive(
    url: string,
    extra: { VisibilityTimeout?: number; Max?: number } = {},
  ): Promise<Message[]> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: extra.Max ?? 10,
        VisibilityTimeout: extra.VisibilityTimeout,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  }

  describe('queues', () => {
    it('given a queue, when its URL and ARN are asked for, then they follow the AWS shapes', async () => {
      const queue = await newQueue({ VisibilityTimeout: '45' });
      expect(queue.url).toBe(`${server.endpoint}/000000000000/${queue.name}`);
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue.name }));
      expect(QueueUrl).toBe(queue.url);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }),
      );
      expect(Attributes).toMatchObject({
        QueueArn: queue.arn,
        VisibilityTimeout: '45',
        DelaySeconds: '0',
        MessageRetentionPeriod: '345600',
        MaximumMessageSize: '1048576',
        ReceiveMessageWaitTimeSeconds: '0',
        CreatedTimestamp: String(Math.floor(clock.now() / 1000)),
        ApproximateNumberOfMessages: '0',
      });
    });

    it('given an existing queue, when created again with the same attributes, then it is idempotent; with different ones, then QueueNameExists', async () => {
      const queue = await newQueue({ VisibilityTimeout: '45' });
      const again = await sqs.send(
        new CreateQueueCommand({ QueueName: queue.name, Attributes: { VisibilityTimeout: '45' } }),
      );
      expect(again.QueueUrl).toBe(queue.url);
      await expect(
        sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: { VisibilityTimeout: '46' } })),
      ).rejects.toBeInstanceOf(QueueNameExists);
    });

    it('given an unknown queue, when used, then QueueDoesNotExist with the query-compatible code', async () => {
      const error: unknown = await sqs
        .send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(QueueDoesNotExist);
      expect(error).toMatchObject({
        Code: 'AWS.SimpleQueueService.NonExistentQueue',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        sqs.send(
          new SendMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/nope`, MessageBody: 'x' }),
        ),
      ).rejects.toBeInstanceOf(QueueDoesNotExist);
    });

    it('given queues, when listed with a prefix and a page size, then pages follow NextToken', async () => {
      for (const name of ['list-a', 'list-b', 'list-c'])
        await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const first = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
      expect(first.QueueUrls?.map((url) => url.split('/').pop())).toEqual(['list-a', 'list-b']);
      const second = await sqs.send(
        new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: first.NextToken }),
      );
      expect(second.QueueUrls?.map((url) => url.split('/').pop())).toEqual(['list-c']);
      expect(second.NextToken).toBeUndefined();
    });

    it('given an operation the server does not implement, when called, then UnsupportedOperation (HTTP 400)', async () => {
      const queue = await newQueue();
      await expect(
        sqs.send(new TagQueueCommand({ QueueUrl: queue.url, Tags: { a: 'b' } })),
      ).rejects.toBeInstanceOf(UnsupportedOperation);
      const response = await fetch(server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.Nope' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-query-error')).toBe(
        'AWS.SimpleQueueService.UnsupportedOperation;Sender',
      );
      expect(await response.json()).toMatchObject({ __type: 'com.amazonaws.sqs#UnsupportedOperation' });
    });
  });

  describe('send, receive, delete', () => {
    it('given a message with attributes, when sent, received and deleted, then body, attributes and digests round-trip', async () => {
      const queue = await newQueue();
      const body = 'Happy birthday, Zoë 🎂';
      const binary = new TextEncoder().encode('Hello binary world!');
      const sentAt = clock.now();
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: body,
          MessageAttributes: {
            attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
            customNumberTypeAttrib: {
              DataType: 'Number.float',
              StringValue: '4563442423554324324264524243.32543234',
            },
            binaryAttribute: { DataType: 'Binary', BinaryValue: binary },
          },
        }),
      );
      // The SDK already checked MD5OfMessageBody; the attribute digest is the AWS one for these attributes.
      expect(sent.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');

      clock.advance(5 * SECOND);
      const [message, ...others] = await receive(queue.url);
      expect(others).toEqual([]);
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: body,
        MD5OfMessageAttributes: 'c932db14a896c663f83c260297d594ff',
        Attributes: {
          SentTimestamp: String(sentAt),
          ApproximateReceiveCount: '1',
          ApproximateFirstReceiveTimestamp: String(clock.now()),
          SenderId: '000000000000',
        },
        MessageAttributes: {
          attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
          customNumberTypeAttrib: {
            DataType: 'Number.float',
            StringValue: '4563442423554324324264524243.32543234',
          },
          binaryAttribute: { DataType: 'Binary', BinaryValue: binary },
        },
      });

      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message!.ReceiptHandle }),
      );
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      clock.advance(60 * SECOND);
      expect(await receive(queue.url)).toEqual([]);
    });

    it('given attributes, when only some are asked for, then only those come back, digested alone', async () => {
      const queue = await newQueue();
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: 'x',
          MessageAttributes: {
            attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
            other: { DataType: 'Number', StringValue: '7' },
          },
        }),
      );
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.url, MessageAttributeNames: ['attribName1'] }),
      );
      expect(Messages?.[0]?.MessageAttributes).toEqual({
        attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      });
      expect(Messages?.[0]?.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
      expect(Messages?.[0]?.Attributes).toBeUndefined();
    });

    it('given invalid message contents, when sent, then the request is refused', async () => {
      const queue = await newQueue();
      await expect(
        sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'bad \u0000 char' })),
      ).rejects.toMatchObject({ name: 'InvalidMessageContents' });
      await expect(
        sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x', DelaySeconds: 901 })),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await expect(
        sqs.send(
          new SendMessageCommand({
            QueueUrl: queue.url,
            MessageBody: 'x',
            MessageAttributes: { 'AWS.reserved': { DataType: 'String', StringValue: 'v' } },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    });
  });

  describe('visibility', () => {
    it('given a received message, when the visibility timeout passes without a delete, then it reappears with a new receipt and a higher receive count', async () => {
      const queue = await newQueue({ VisibilityTimeout: '30' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'retry me' }));
      const [first] = await receive(queue.url);
      expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

      clock.advance(29 * SECOND);
      expect(await receive(queue.url)).toEqual([]);
      clock.advance(1 * SECOND);
      const [second] = await receive(queue.url);
      expect(second).toMatchObject({
        MessageId: first?.MessageId,
        Attributes: { ApproximateReceiveCount: '2' },
      });
      expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
      // ApproximateFirstReceiveTimestamp stays the first receive's.
      expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(
        first?.Attributes?.ApproximateFirstReceiveTimestamp,
      );

      // Documented choice: a stale receipt handle deletes nothing, and says nothing.
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: first!.ReceiptHandle }));
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: second!.ReceiptHandle }));
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('given a VisibilityTimeout on the receive, when it passes, then that timeout applied instead of the queue one', async () => {
      const queue = await newQueue({ VisibilityTimeout: '300' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'short' }));
      await receive(queue.url, { VisibilityTimeout: 5 });
      clock.advance(5 * SECOND);
      expect(await receive(queue.url)).toHaveLength(1);
    });

    it('given an in-flight message, when its visibility is changed to 0, then it can be received again at once', async () => {
      const queue = await newQueue();
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'again' }));
      const [message] = await receive(queue.url);
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      expect(await counts(queue.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
      const [again] = await receive(queue.url);
      expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    });

    it('given an in-flight message, when its visibility is extended, then it stays hidden until the new timeout counted from the change', async () => {
      const queue = await newQueue({ VisibilityTimeout: '30' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
      const [message] = await receive(queue.url);
      clock.advance(20 * SECOND);
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: 60,
        }),
      );
      clock.advance(59 * SECOND);
      expect(await receive(queue.url)).toEqual([]);
      clock.advance(1 * SECOND);
      expect(await receive(queue.url)).toHaveLength(1);
    });

    it('given handles that are stale, garbage or no longer in flight, when the visibility is changed, then AWS errors come back', async () => {
      const queue = await newQueue({ VisibilityTimeout: '30' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' }));
      const [first] = await receive(queue.url);
      const change = (handle: string, timeout = 10): Promise<unknown> =>
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queue.url,
            ReceiptHandle: handle,
            VisibilityTimeout: timeout,
          }),
        );

      await expect(change('not-a-receipt-handle')).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      // More than 12 hours after the receive is refused, not clamped.
      await expect(change(first!.ReceiptHandle!, 43_201)).rejects.toMatchObject({
        name: 'InvalidParameterValue',
      });
      clock.advance(30 * SECOND);
      await expect(change(first!.ReceiptHandle!)).rejects.toBeInstanceOf(MessageNotInflight);
      const [second] = await receive(queue.url);
      await expect(change(first!.ReceiptHandle!)).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      await change(second!.ReceiptHandle!);
    });

    it('given a batch of visibility changes with one bad handle, when sent, then only that entry fails', async () => {
      const queue = await newQueue();
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' }));
      const [message] = await receive(queue.url);
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            { Id: 'good', ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 0 },
            { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
          ],
        }),
      );
      expect(result.Successful).toEqual([{ Id: 'good' }]);
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }),
      ]);
    });
  });

  describe('delay', () => {
    it('given DelaySeconds on a message, when sent, then it is delayed until then and counted as delayed', async () => {
      const queue = await newQueue();
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'later', DelaySeconds: 60 }));
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(server.stats(queue.name)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      clock.advance(59 * SECOND);
      expect(await receive(queue.url)).toEqual([]);
      clock.advance(1 * SECOND);
      expect(server.stats(queue.name)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
      expect(await receive(queue.url)).toHaveLength(1);
    });

    it('given a delay queue, when a message has its own DelaySeconds, then the message value overrides the queue one', async () => {
      const queue = await newQueue({ DelaySeconds: '120', VisibilityTimeout: '600' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'queue delay' }));
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'no delay', DelaySeconds: 0 }),
      );
      expect((await receive(queue.url)).map((message) => message.Body)).toEqual(['no delay']);
      clock.advance(120 * SECOND);
      expect((await receive(queue.url)).map((message) => message.Body)).toEqual(['queue delay']);
    });
  });

  describe('dead-letter queues', () => {
    it('given a redrive policy, when a message is received maxReceiveCount times without delete, then the next receive moves it to the DLQ', async () => {
      const dlq = await newQueue();
      const source = await newQueue({
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
      });
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'poison' }));
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const [message] = await receive(source.url);
        expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
        clock.advance(30 * SECOND);
      }
      expect(await receive(source.url)).toEqual([]);
      expect(await counts(source.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      const [dead] = await receive(dlq.url);
      expect(dead).toMatchObject({
        MessageId: sent.MessageId,
        Body: 'poison',
        Attributes: { ApproximateReceiveCount: '3', DeadLetterQueueSourceArn: source.arn },
      });
      const { queueUrls } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }));
      expect(queueUrls).toEqual([source.url]);
    });

    it('given messages in a DLQ, when a move task without destination runs, then they go back to their source as new messages', async () => {
      const dlq = await newQueue();
      const source = await newQueue({
        VisibilityTimeout: '0',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '1' }),
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'redrive me' }));
      const [original] = await receive(source.url);
      expect(await receive(source.url)).toEqual([]);
      expect(await counts(dlq.url)).toMatchObject({ visible: 1 });

      const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
      expect(TaskHandle).toEqual(expect.any(String));
      expect(await counts(dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      const { Results } = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }),
      );
      expect(Results).toEqual([
        expect.objectContaining({
          Status: 'COMPLETED',
          SourceArn: dlq.arn,
          ApproximateNumberOfMessagesMoved: 1,
          ApproximateNumberOfMessagesToMove: 1,
          StartedTimestamp: clock.now(),
        }),
      ]);

      const [back] = await receive(source.url);
      expect(back?.Body).toBe('redrive me');
      expect(back?.MessageId).not.toBe(original?.MessageId);
      expect(back?.Attributes).toMatchObject({
        ApproximateReceiveCount: '1',
        SentTimestamp: String(clock.now()),
      });
    });

    it('given a queue that is no DLQ or an unknown ARN, when a move task is started, then it is refused', async () => {
      const plain = await newQueue();
      await expect(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: plain.arn }))).rejects.toMatchObject(
        {
          name: 'InvalidParameterValue',
        },
      );
      await expect(
        sqs.send(
          new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:missing' }),
        ),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });

    it('given a redrive policy towards a missing queue, when set, then the attribute value is refused', async () => {
      const queue = await newQueue();
      await expect(
        sqs.send(
          new SetQueueAttributesCommand({
            QueueUrl: queue.url,
            Attributes: {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:missing',
                maxReceiveCount: 3,
              }),
            },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    });
  });

  describe('batches', () => {
    it('given a batch with one invalid DelaySeconds, when sent, then that entry fails and the others succeed', async () => {
      const queue = await newQueue();
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            { Id: 'a', MessageBody: 'first' },
            { Id: 'b', MessageBody: 'too late', DelaySeconds: 901 },
            {
              Id: 'c',
              MessageBody: 'third',
              MessageAttributes: { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } },
            },
          ],
        }),
      );
      expect(result.Successful?.map((entry) => entry.Id)).toEqual(['a', 'c']);
      expect(result.Successful?.[1]?.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
      expect(await counts(queue.url)).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    });

    it('given malformed batches, when sent, then the whole request fails with the batch errors', async () => {
      const queue = await newQueue();
      const sendBatch = (entries: { Id: string; MessageBody: string }[]): Promise<unknown> =>
        sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }));
      await expect(sendBatch([])).rejects.toBeInstanceOf(EmptyBatchRequest);
      await expect(
        sendBatch(Array.from({ length: 11 }, (_, index) => ({ Id: `m${index}`, MessageBody: 'x' }))),
      ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
      await expect(
        sendBatch([
          { Id: 'same', MessageBody: 'x' },
          { Id: 'same', MessageBody: 'y' },
        ]),
      ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
      await expect(sendBatch([{ Id: 'not valid!', MessageBody: 'x' }])).rejects.toBeInstanceOf(
        InvalidBatchEntryId,
      );
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('given received messages, when deleted in a batch with one garbage handle, then the others are deleted', async () => {
      const queue = await newQueue();
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            { Id: '1', MessageBody: 'one' },
            { Id: '2', MessageBody: 'two' },
          ],
        }),
      );
      const messages = await receive(queue.url);
      expect(messages).toHaveLength(2);
      const result = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            ...messages.map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle })),
            { Id: 'bad', ReceiptHandle: 'garbage' },
          ],
        }),
      );
      expect(result.Successful).toHaveLength(2);
      expect(result.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid' })]);
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('counts, purge and retention', () => {
    it('given visible, in-flight and delayed messages, when counted, then each is in its approximate count', async () => {
      const queue = await newQueue();
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            { Id: 'v1', MessageBody: 'visible' },
            { Id: 'v2', MessageBody: 'visible' },
            { Id: 'd', MessageBody: 'delayed', DelaySeconds: 300 },
          ],
        }),
      );
      await receive(queue.url, { Max: 1 });
      expect(await counts(queue.url)).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
      expect(server.stats(queue.name)).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
      expect(server.stats('no-such-queue')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      await sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
      expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('given a message older than the retention period, when the clock passes it, then the message is gone', async () => {
      const queue = await newQueue({ MessageRetentionPeriod: '60' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'old' }));
      clock.advance(59 * SECOND);
      expect(await counts(queue.url)).toMatchObject({ visible: 1 });
      clock.advance(1 * SECOND);
      expect(await counts(queue.url)).toMatchObject({ visible: 0 });
    });
  });

  describe('long polling', () => {
    it('given a waiting long poll, when a message is sent, then it returns at once with the message', async () => {
      const queue = await newQueue();
      const started = performance.now();
      const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 20 }));
      await letRequestArrive();
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'wake up' }));
      const { Messages } = await polling;
      expect(Messages?.map((message) => message.Body)).toEqual(['wake up']);
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('given a waiting long poll and a delayed message, when the clock jumps past the delay, then the poll returns it', async () => {
      const queue = await newQueue();
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'after jump', DelaySeconds: 600 }),
      );
      const started = performance.now();
      const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 20 }));
      await letRequestArrive();
      clock.advance(600 * SECOND);
      const { Messages } = await polling;
      expect(Messages?.map((message) => message.Body)).toEqual(['after jump']);
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('given the queue ReceiveMessageWaitTimeSeconds and nothing to receive, when the wait ends, then the answer is empty', async () => {
      const queue = await newQueue({ ReceiveMessageWaitTimeSeconds: '1' });
      const started = performance.now();
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url }));
      expect(Messages).toBeUndefined();
      // WaitTimeSeconds counts in real seconds (the one place real time is used).
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    });

    it('given a long poll, when the server stops, then the poll is answered promptly', async () => {
      const other = await startSqsServer({ clock });
      const client = clientFor(other.endpoint);
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'stopping' }));
      const started = performance.now();
      const polling = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
      await letRequestArrive();
      await other.stop();
      const { Messages } = await polling;
      expect(Messages).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(5_000);
      client.destroy();
    });
  });
});
