import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './lambda-context';

export interface PollerOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;
  /** Like the event source's maxConcurrency: batches handled at once. */
  concurrency: number;
  batchSize: number;
  functionTimeoutMs: number;
  onError: (error: unknown) => void;
  /** Fault injection: every batch goes to two concurrent invocations (at-least-once, at its worst). */
  deliverEveryBatchTwice?: boolean;
}

export interface Poller {
  /** Batches being handled right now. */
  busy(): number;
  /**
   * Handler invocations since start and their summed wall time (real ms): what Lambda would
   * bill as duration, measured here (the bench's cost figures).
   */
  invocations(): { count: number; milliseconds: number };
  /** Starts no new batch and resolves once none is being handled. */
  pause(): Promise<void>;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * The local SQS event source: long-polls the queue, hands batches to the worker handler and
 * deletes what it did not report in `batchItemFailures` (a thrown error fails the whole batch);
 * failed records come back after their visibility timeout, as in AWS.
 */
export function startSqsPoller(options: PollerOptions): Poller {
  const controller = new AbortController();
  let busy = 0;
  const invoked = { count: 0, milliseconds: 0 };
  let pausedUntil: { promise: Promise<void>; release: () => void } | undefined;

  const pollOnce = async (): Promise<void> => {
    const { Messages } = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: controller.signal },
    );
    if (!Messages || Messages.length === 0) return;
    // Received while paused (a clock jump): handle after it. Should their visibility lapse, a
    // second copy meets the occurrence's claim, as with any duplicate.
    if (pausedUntil) await pausedUntil.promise;
    busy += 1;
    try {
      const event: SQSEvent = { Records: Messages.map((message) => toRecord(message, options.queueArn)) };
      const invoke = async (): Promise<Set<string>> => {
        const startedAt = performance.now();
        try {
          const response = await options.handler(
            event,
            lambdaContext('occasions-worker', options.functionTimeoutMs),
          );
          return new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        } catch (error) {
          options.onError(error);
          return new Set(event.Records.map((record) => record.messageId));
        } finally {
          invoked.count += 1;
          invoked.milliseconds += performance.now() - startedAt;
        }
      };
      const outcomes = await Promise.all(options.deliverEveryBatchTwice ? [invoke(), invoke()] : [invoke()]);
      // A record is done when any invocation finished it (as with two real deliveries of one message).
      const failed = new Set([...outcomes[0]].filter((id) => outcomes.every((set) => set.has(id))));
      const done = Messages.filter((message) => !failed.has(message.MessageId ?? ''));
      if (done.length > 0) {
        await options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: done.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    } finally {
      busy -= 1;
    }
  };

  const stopped = (): boolean => controller.signal.aborted;
  const loop = async (): Promise<void> => {
    while (!stopped()) {
      try {
        if (pausedUntil) await pausedUntil.promise;
        if (stopped()) return;
        await pollOnce();
      } catch (error) {
        if (stopped()) return;
        options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };

  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    busy: () => busy,
    invocations: () => ({ ...invoked }),
    pause: async () => {
      if (!pausedUntil) {
        let release = (): void => undefined;
        const promise = new Promise<void>((resolve) => {
          release = resolve;
        });
        pausedUntil = { promise, release };
      }
      while (busy > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    resume: () => {
      pausedUntil?.release();
      pausedUntil = undefined;
    },
    stop: async () => {
      controller.abort();
      pausedUntil?.release();
      await Promise.allSettled(loops);
    },
  };
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '0',
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '0',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}
