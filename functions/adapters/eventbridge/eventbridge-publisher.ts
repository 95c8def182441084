import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { DomainEvent, EventPublisher } from '#ports/event-publisher';

/** PutEvents accepts at most 10 entries per request. */
export const PUT_EVENTS_BATCH_SIZE = 10;
/** Re-sends of the entries EventBridge reported as failed, after the first request. */
export const MAX_RESENDS = 3;

/** Some entries were still rejected after every re-send. */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(
    readonly failures: readonly { detailType: string; errorCode?: string; errorMessage?: string }[],
  ) {
    super(
      `EventBridge rejected ${failures.length} event(s): ` +
        failures.map((f) => `${f.detailType} (${f.errorCode ?? 'unknown'})`).join(', '),
    );
  }
}

/**
 * Publishes domain events to the service's bus. PutEvents can succeed as a request while some of
 * its entries fail (FailedEntryCount, per-entry ErrorCode, in request order), so those entries are
 * re-sent on their own; the SDK's own retries cover throttled or failed requests as a whole.
 *
 * @example
 * const publisher = new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: 'occasions' });
 * await publisher.publish([{ type: 'NotificationDelivered', at: clock.now(), detail: { occurrenceId } }]);
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;
  private readonly source: string;

  constructor(deps: { client: EventBridgeClient; eventBusName: string; source?: string }) {
    this.client = deps.client;
    this.eventBusName = deps.eventBusName;
    this.source = deps.source ?? 'occasions';
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const entries = events.map((event) => this.entryOf(event));
    for (let start = 0; start < entries.length; start += PUT_EVENTS_BATCH_SIZE) {
      await this.putBatch(entries.slice(start, start + PUT_EVENTS_BATCH_SIZE));
    }
  }

  private entryOf(event: DomainEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.eventBusName,
      Source: this.source,
      DetailType: event.type,
      Time: new Date(event.at),
      Detail: JSON.stringify(event.detail),
    };
  }

  private async putBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let failed: { entry: PutEventsRequestEntry; result: PutEventsResultEntry | undefined }[] = [];
    for (let attempt = 0; attempt <= MAX_RESENDS && pending.length > 0; attempt += 1) {
      const response = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!response.FailedEntryCount) return;
      // Result entries are in request order; a failed one has an ErrorCode instead of an EventId.
      failed = pending
        .map((entry, i) => ({ entry, result: response.Entries?.[i] }))
        .filter(({ result }) => !result?.EventId || result.ErrorCode !== undefined);
      pending = failed.map(({ entry }) => entry);
    }
    if (pending.length === 0) return;
    throw new EventPublishError(
      failed.map(({ entry, result }) => ({
        detailType: entry.DetailType ?? '',
        ...(result?.ErrorCode ? { errorCode: result.ErrorCode } : {}),
        ...(result?.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}),
      })),
    );
  }
}
