import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterQueue, HeldDeadLetter } from '#ports/dead-letter-queue';
import { parseNotificationMessage } from './sqs-notification-queue';

interface Options {
  client: SQSClient;
  /** The notifications dead-letter queue. */
  deadLetterQueueUrl: string;
  /** Where redriven messages go: the notifications queue. */
  queueUrl: string;
  /** How long a held message stays invisible if the caller never releases it (seconds). */
  holdSeconds?: number;
  /**
   * Long polling per receive (seconds). In AWS a short poll samples only some servers and may
   * answer empty although messages exist, so the default is 1; the local SQS server answers
   * exactly and runs with 0.
   */
  waitTimeSeconds?: number;
}

const DEFAULT_HOLD_SECONDS = 30;
const RECEIVE_BATCH = 10;
const CHANGE_BATCH = 10;

/** The notifications DLQ over SQS: receive-and-hold, release, delete, and redrive to the main queue. */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(private readonly options: Options) {}

  async hold(max: number, enough?: (held: readonly HeldDeadLetter[]) => boolean): Promise<HeldDeadLetter[]> {
    const held = new Map<string, HeldDeadLetter>();
    // Bounded: AWS may hand out a message twice (at-least-once), which adds no new one.
    const maxRounds = Math.ceil(max / RECEIVE_BATCH) + 3;
    for (let round = 0; round < maxRounds && held.size < max; round += 1) {
      const { Messages = [] } = await this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          MaxNumberOfMessages: Math.min(RECEIVE_BATCH, max - held.size),
          VisibilityTimeout: this.options.holdSeconds ?? DEFAULT_HOLD_SECONDS,
          WaitTimeSeconds: this.options.waitTimeSeconds ?? 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['reason'],
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        const { MessageId, ReceiptHandle, Body, Attributes = {}, MessageAttributes = {} } = message;
        if (!MessageId || !ReceiptHandle) continue;
        const parsed = parseNotificationMessage(Body ?? '');
        const firstReceivedAt = Number(Attributes.ApproximateFirstReceiveTimestamp);
        const reason = MessageAttributes.reason?.StringValue;
        held.set(MessageId, {
          messageId: MessageId,
          receipt: ReceiptHandle,
          ...(parsed ? { message: parsed } : {}),
          receiveCount: Number(Attributes.ApproximateReceiveCount ?? 0) || 0,
          sentAt: Number(Attributes.SentTimestamp ?? 0) || 0,
          ...(Number.isFinite(firstReceivedAt) && firstReceivedAt > 0 ? { firstReceivedAt } : {}),
          ...(reason === undefined ? {} : { reason }),
          body: Body ?? '',
        });
      }
      if (enough?.([...held.values()])) break;
    }
    return [...held.values()];
  }

  async release(letters: readonly HeldDeadLetter[]): Promise<void> {
    for (let start = 0; start < letters.length; start += CHANGE_BATCH) {
      const batch = letters.slice(start, start + CHANGE_BATCH);
      // A failed entry (receipt expired, message gone) is visible or gone already: nothing to do.
      await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          Entries: batch.map((letter, index) => ({
            Id: String(index),
            ReceiptHandle: letter.receipt,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  async remove(letter: HeldDeadLetter): Promise<void> {
    await this.options.client.send(
      new DeleteMessageCommand({ QueueUrl: this.options.deadLetterQueueUrl, ReceiptHandle: letter.receipt }),
    );
  }

  async redrive(letter: HeldDeadLetter): Promise<void> {
    // Send first: a crash between the two leaves a copy in both queues, which the worker's
    // status check makes harmless; the other order could lose the message.
    await this.options.client.send(
      new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: letter.body }),
    );
    await this.remove(letter);
  }

  async approximateCount(): Promise<number> {
    const { Attributes = {} } = await this.options.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }
}
