import {
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { OccurrencePlan } from '#domain/occurrence';
import { pointerOf, type NotificationMessage, type NotificationQueue } from '#ports/notification-queue';

interface Options {
  client: SQSClient;
  queueUrl: string;
  /** Only the worker parks messages there; the scheduler has no use (nor permission) for it. */
  deadLetterQueueUrl?: string;
  /** How often the failed entries of a batch are sent again before giving up on them. */
  batchRetries?: number;
}

/** SQS caps per-message delay at 15 minutes; longer waits hop (the worker re-delays on arrival). */
export const MAX_DELAY_SECONDS = 900;
const BATCH_SIZE = 10;

export class SqsNotificationQueue implements NotificationQueue {
  constructor(private readonly options: Options) {}

  async enqueue(messages: readonly NotificationMessage[]): Promise<NotificationMessage[]> {
    const unsent: NotificationMessage[] = [];
    for (let start = 0; start < messages.length; start += BATCH_SIZE) {
      unsent.push(...(await this.sendBatch(messages.slice(start, start + BATCH_SIZE))));
    }
    return unsent;
  }

  async enqueueDelayed(message: NotificationMessage, delaySeconds: number): Promise<void> {
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: messageBody(message),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  }

  async sendToDeadLetter(message: NotificationMessage, reason: string): Promise<void> {
    const { deadLetterQueueUrl } = this.options;
    if (!deadLetterQueueUrl) throw new Error('this queue adapter was built without a dead-letter queue');
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: messageBody(message),
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } },
      }),
    );
  }

  /** One SendMessageBatch plus re-sends of its failed entries. @returns what never got through. */
  private async sendBatch(batch: readonly NotificationMessage[]): Promise<NotificationMessage[]> {
    let remaining = new Map(batch.map((message, index) => [String(index), message]));
    for (let round = 0; round <= (this.options.batchRetries ?? 3) && remaining.size > 0; round += 1) {
      const entries: SendMessageBatchRequestEntry[] = [...remaining].map(([id, message]) => ({
        Id: id,
        MessageBody: messageBody(message),
      }));
      try {
        const result = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        );
        const failedIds = new Set((result.Failed ?? []).map((failure) => failure.Id));
        remaining = new Map([...remaining].filter(([id]) => failedIds.has(id)));
      } catch {
        // The whole call failed (throttled, network): try the whole batch again next round.
      }
    }
    return [...remaining.values()];
  }
}

/** Parses a message body; anything else on the queue is not ours and is rejected. */
export function parseNotificationMessage(body: string): NotificationMessage | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return undefined;
    const { planned } = value as Record<string, unknown>;
    if (planned !== undefined) {
      const pointer = parsePointer(planned);
      const plan = parsePlan(planned);
      return pointer && plan ? { ...pointer, plan } : undefined;
    }
    return parsePointer(value);
  } catch {
    return undefined;
  }
}

/**
 * The body of a message on the queue: the message itself, or for a plan (ADR 0010)
 * `{"planned": {occurrenceId, userId, correlationId, ...plan}}`, without a top-level
 * `occurrenceId`. A worker from before plans (a rolling deploy, a rollback) then rejects it as
 * unreadable (the message stays, is retried and reaches the DLQ, to be redriven) instead of
 * taking it for a pointer to an occurrence it cannot find and dropping it.
 */
export function messageBody(message: NotificationMessage): string {
  const pointer = pointerOf(message);
  return JSON.stringify(message.plan ? { planned: { ...pointer, ...message.plan } } : pointer);
}

function parsePointer(value: unknown): NotificationMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { occurrenceId, userId, correlationId } = value as Record<string, unknown>;
  if (typeof occurrenceId !== 'string' || typeof userId !== 'string') return undefined;
  return { occurrenceId, userId, ...(typeof correlationId === 'string' ? { correlationId } : {}) };
}

/** A scheduler's plan (ADR 0010), every field checked: a bad one must not create an occurrence. */
function parsePlan(value: unknown): OccurrencePlan | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { eventKey, localDate, timezone, scheduledFor, fingerprint, eventId, plannedAt } = value as Record<
    string,
    unknown
  >;
  if (
    typeof eventKey !== 'string' ||
    typeof localDate !== 'string' ||
    typeof timezone !== 'string' ||
    typeof fingerprint !== 'string' ||
    !isInstant(scheduledFor) ||
    !isInstant(plannedAt) ||
    (eventId !== undefined && typeof eventId !== 'string')
  ) {
    return undefined;
  }
  return {
    eventKey,
    localDate,
    timezone,
    scheduledFor,
    fingerprint,
    plannedAt,
    ...(eventId === undefined ? {} : { eventId }),
  };
}

const isInstant = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
