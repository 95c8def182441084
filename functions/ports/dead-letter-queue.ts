import type { NotificationMessage } from './notification-queue';

/** A message parked in the dead-letter queue, as an operator sees it. */
export interface DeadLetter {
  messageId: string;
  /** The notification it points to; undefined for a body that is not one of ours. */
  message?: NotificationMessage;
  /**
   * SQS's ApproximateReceiveCount: receives on the main queue for messages SQS moved here, plus
   * every receive here, listings included (a listing is a receive).
   */
  receiveCount: number;
  /** Epoch ms it was first sent (SentTimestamp: to the main queue, for messages SQS moved). */
  sentAt: number;
  /** Epoch ms of its first receive, if any (ApproximateFirstReceiveTimestamp). */
  firstReceivedAt?: number;
  /** Why the worker parked it (its `reason` attribute); absent for messages SQS moved itself. */
  reason?: string;
}

/** A dead letter received and hidden from other readers until it is released, removed or redriven. */
export interface HeldDeadLetter extends DeadLetter {
  /** The receipt of this receive; opaque to callers. */
  readonly receipt: string;
  /** The body as it was sent; a redrive sends it unchanged. */
  readonly body: string;
}

/**
 * The notifications dead-letter queue, for operators. SQS cannot be read without receiving, so
 * reading is holding: `hold` receives messages and keeps them invisible for a short while,
 * and the caller must `release` what it does not remove or redrive (they also reappear by
 * themselves once the hold expires, so a crash loses nothing).
 *
 * @example
 * const held = await dlq.hold(20);
 * try { show(held); } finally { await dlq.release(held); }
 */
export interface DeadLetterQueue {
  /**
   * Receives up to `max` distinct messages (fewer when the queue has fewer), stopping early once
   * `enough` says so. Each is held until released, removed or redriven, or its hold expires.
   */
  hold(max: number, enough?: (held: readonly HeldDeadLetter[]) => boolean): Promise<HeldDeadLetter[]>;
  /** Makes held messages visible again at once. */
  release(letters: readonly HeldDeadLetter[]): Promise<void>;
  /** Deletes a held message for good. */
  remove(letter: HeldDeadLetter): Promise<void>;
  /** Sends a held message's body to the main queue, then deletes it here. */
  redrive(letter: HeldDeadLetter): Promise<void>;
  /** Messages in the queue, visible or not (approximate, as SQS counts). */
  approximateCount(): Promise<number>;
}
