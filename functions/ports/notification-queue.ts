import type { OccurrencePlan } from '#domain/occurrence';

/**
 * What travels on the notifications queue: a pointer to the occurrence, never the text sent
 * (the worker renders it from the user as stored at delivery time).
 */
export interface NotificationMessage {
  occurrenceId: string;
  userId: string;
  /** The x-request-id that scheduled it, for log correlation. */
  correlationId?: string;
  /**
   * Set by a scheduler pass that found the occurrence due and did not write it (ADR 0010): the
   * worker's claim creates it from this. Absent when the occurrence is stored already (retries,
   * replays, redrives, manual sends, rescues).
   */
  plan?: OccurrencePlan;
}

export interface NotificationQueue {
  /**
   * Sends in batches of 10, re-sending the entries of a batch that failed.
   * @returns the messages that could still not be sent.
   */
  enqueue(messages: readonly NotificationMessage[]): Promise<NotificationMessage[]>;
  /** Sends one message that becomes visible after `delaySeconds` (capped at SQS's 900). */
  enqueueDelayed(message: NotificationMessage, delaySeconds: number): Promise<void>;
  /** Parks a message in the dead-letter queue, with why. */
  sendToDeadLetter(message: NotificationMessage, reason: string): Promise<void>;
}

/** The message without its plan: what points at an occurrence that is stored (ADR 0010). */
export function pointerOf(message: NotificationMessage): NotificationMessage {
  const { plan: _plan, ...pointer } = message;
  return pointer;
}

/**
 * What a log line says about a message: its ids, and whether it is a plan. Never the plan
 * itself: its fingerprint holds the birthday and zone, and logs outlive an erasure.
 */
export function logKeysOf(message: NotificationMessage): Record<string, string | boolean> {
  return {
    occurrenceId: message.occurrenceId,
    userId: message.userId,
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    planned: message.plan !== undefined,
  };
}
