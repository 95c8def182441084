/** Domain events Occasions publishes to its EventBridge bus (source `occasions`). */
export type DomainEventType =
  | 'NotificationDelivered'
  | 'NotificationFailed'
  | 'NotificationCancelled'
  | 'NotificationSkipped'
  | 'CircuitOpened'
  | 'CircuitClosed';

export interface DomainEvent {
  type: DomainEventType;
  /** Epoch ms of the fact. */
  at: number;
  detail: Record<string, unknown>;
}

export interface EventPublisher {
  /** Publishes in batches (PutEvents takes 10 entries), re-sending entries that failed. */
  publish(events: readonly DomainEvent[]): Promise<void>;
}
