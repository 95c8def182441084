/** What travels on the notifications queue: a pointer, never the message itself. */
export interface NotificationMessage {
  occurrenceId: string;
  userId: string;
  /** The x-request-id that scheduled it, for log correlation. */
  correlationId?: string;
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
