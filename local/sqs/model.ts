/**
 * The data the local SQS server keeps. Everything here is plain JSON so the same shapes go into
 * the journal, the snapshot and memory without a mapping layer.
 */

/** A message attribute as SQS stores it; `BinaryValue` is base64, as on the JSON wire. */
export interface StoredAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export type AttributeMap = Record<string, StoredAttributeValue>;

/** The part of a message that changes after it is sent (receives, visibility changes). */
export interface MessageState {
  /** Epoch ms from which the message can be received (delay or visibility timeout end). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Epoch ms of the latest receive; ChangeMessageVisibility is capped at 12 h from it. */
  receivedAt?: number;
  /** Token of the latest receive; only the receipt handle carrying it is current. */
  receipt?: string;
}

export interface MessageRecord extends MessageState {
  id: string;
  /** Monotonic per server; orders messages that become visible at the same instant. */
  seq: number;
  body: string;
  attributes?: AttributeMap;
  systemAttributes?: AttributeMap;
  md5Body: string;
  md5Attributes?: string;
  md5SystemAttributes?: string;
  /** Original enqueue time (epoch ms): SentTimestamp, and the base of the retention period. */
  sentAt: number;
  /** Set when a redrive moved the message into a dead-letter queue. */
  deadLetterSourceArn?: string;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueState {
  name: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  lastModifiedAt: number;
  /** Settable attributes in their canonical AWS string form (what GetQueueAttributes returns). */
  attributes: Record<string, string>;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTaskRecord {
  handle: string;
  status: MoveTaskStatus;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  moved: number;
  toMove: number;
  /** Epoch ms. */
  startedAt: number;
  failureReason?: string;
}

/** Counts behind the ApproximateNumberOfMessages* attributes. */
export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}
