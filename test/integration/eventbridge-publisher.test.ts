import { EventBridgeClient, ListRulesCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher, EventPublishError } from '#adapters/eventbridge/eventbridge-publisher';
import { ManualClock } from '#commons/clock';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/embedded-dynamodb';
import { startEventBridgeRecorder, type EventBridgeRecorder } from '#local/eventbridge-recorder';
import type { DomainEvent } from '#ports/event-publisher';

const AT = Date.parse('2027-03-14T09:00:00Z');

const eventsOf = (count: number): DomainEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    type: i % 2 === 0 ? 'NotificationDelivered' : 'NotificationFailed',
    at: AT + i * 1_000,
    detail: { occurrenceId: `occ-${i}`, attempt: i },
  }));

describe('EventBridgePublisher through the real SDK against the local recorder', () => {
  const clock = new ManualClock(AT + 60_000);
  let recorder: EventBridgeRecorder;
  let client: EventBridgeClient;
  let batchSizes: number[];

  beforeEach(async () => {
    recorder = await startEventBridgeRecorder({ clock });
    client = new EventBridgeClient({
      endpoint: recorder.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    batchSizes = [];
    // The SDK's own middleware stack sees every PutEvents request as sent.
    client.middlewareStack.add(
      (next) => (args) => {
        batchSizes.push((args.input as PutEventsCommandInput).Entries?.length ?? 0);
        return next(args);
      },
      { step: 'initialize', name: 'countPutEvents' },
    );
  });
  afterEach(async () => {
    client.destroy();
    await recorder.stop();
  });

  it('given 25 events, when published, then 3 PutEvents calls record them all in order', async () => {
    const publisher = new EventBridgePublisher({ client, eventBusName: 'occasions-bus' });

    await publisher.publish(eventsOf(25));

    expect(batchSizes).toEqual([10, 10, 5]);
    const recorded = recorder.events();
    expect(recorded).toHaveLength(25);
    recorded.forEach((event, i) => {
      expect(event).toMatchObject({
        eventBusName: 'occasions-bus',
        source: 'occasions',
        detailType: i % 2 === 0 ? 'NotificationDelivered' : 'NotificationFailed',
        detail: { occurrenceId: `occ-${i}`, attempt: i },
        time: new Date(AT + i * 1_000).toISOString(),
        recordedAt: new Date(clock.now()).toISOString(),
      });
    });
    expect(new Set(recorded.map((e) => e.eventId)).size).toBe(25);
  });

  it('given a custom source and no events, when published, then the source is used and nothing empty is sent', async () => {
    const publisher = new EventBridgePublisher({ client, eventBusName: 'bus', source: 'occasions.test' });

    await publisher.publish([]);
    await publisher.publish(eventsOf(1));

    expect(batchSizes).toEqual([1]);
    expect(recorder.events()[0]).toMatchObject({
      source: 'occasions.test',
      detailType: 'NotificationDelivered',
    });
  });

  it('given some entries fail, when published, then only those are re-sent and each event is recorded once', async () => {
    const publisher = new EventBridgePublisher({ client, eventBusName: 'bus' });
    recorder.failNext(3);

    await publisher.publish(eventsOf(12));

    expect(batchSizes).toEqual([10, 3, 2]);
    expect(recorder.events().map((e) => (e.detail as { attempt: number }).attempt)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 10, 11,
    ]);
  });

  it('given entries keep failing, when published, then they are re-sent 3 times and the publish throws', async () => {
    const publisher = new EventBridgePublisher({ client, eventBusName: 'bus' });
    recorder.failNext(1_000, 'ThrottlingException');

    const publishing = publisher.publish(eventsOf(2));

    await expect(publishing).rejects.toBeInstanceOf(EventPublishError);
    await expect(publishing).rejects.toThrow('NotificationDelivered (ThrottlingException)');
    expect(batchSizes).toEqual([2, 2, 2, 2]);
    expect(recorder.events()).toEqual([]);
  });

  it('given an operation other than PutEvents, when called, then the SDK gets an UnknownOperationException', async () => {
    await expect(client.send(new ListRulesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('given a data dir, when events are recorded, then they are appended as JSON lines and survive a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'occasions-eventbridge-'));
    try {
      const persistent = await startEventBridgeRecorder({ clock, dataDir });
      const persistentClient = new EventBridgeClient({
        endpoint: persistent.endpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      await new EventBridgePublisher({ client: persistentClient, eventBusName: 'bus' }).publish(eventsOf(3));
      persistentClient.destroy();
      await persistent.stop();

      const lines = (await readFile(join(dataDir, 'events.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { detailType: string }).detailType)).toEqual([
        'NotificationDelivered',
        'NotificationFailed',
        'NotificationDelivered',
      ]);
      const restarted = await startEventBridgeRecorder({ clock, dataDir });
      expect(restarted.events()).toHaveLength(3);
      await restarted.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
