import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DUE_SHARDS } from '#adapters/dynamodb/table-layout';
import { systemClock } from '#commons/clock';
import { buildScheduler, buildWorker } from '#handlers/pipeline';
import { createWorkerHandler } from '#handlers/worker.handler';
import { dynamoClients, LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/embedded-dynamodb';
import { LOCAL_TABLE } from '#local/runtime';
import { startSqsPoller } from '#local/sqs-poller';
import { createUsers, DUE_UTC, HOUR, InProcessScenario, iso, MINUTE, SECOND } from './harness';

/** Offsets from +14:00 to -11:00 in June: the due instants of one local date span 25 hours. */
const ZONES = [
  'Pacific/Kiritimati',
  'Pacific/Tongatapu',
  'Pacific/Auckland',
  'Pacific/Noumea',
  'Australia/Sydney',
  'Asia/Tokyo',
  'Asia/Shanghai',
  'Asia/Bangkok',
  'Asia/Dhaka',
  'Asia/Kolkata',
  'Asia/Karachi',
  'Asia/Dubai',
  'Europe/Moscow',
  'Europe/Berlin',
  'Europe/London',
  'UTC',
  'Atlantic/Cape_Verde',
  'America/Noronha',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
  'Pacific/Pago_Pago',
];

/** Scenarios 6-8 of issue 6: the scheduler and the queue misbehave. */
describe('fault injection: scheduler and queue', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async (...args: Parameters<typeof InProcessScenario.start>) => {
    const scenario = await InProcessScenario.start(...args);
    cleanups.push(() => scenario.stop());
    return scenario;
  };

  it("6. given the scheduler down for 27 hours over everyone's due instant, when the clock jumps and it runs again, then every missed webhook is sent once, for its own due instant", async () => {
    const s = await start();
    const users = await createUsers(s.service, ZONES);
    const lastPass = Date.parse('2027-06-14T18:00:00Z');
    await s.runAt(lastPass);
    expect(s.receiver.requests).toHaveLength(0);

    // No pass for 27 h: the first due instant is 2027-06-14T19:00Z, the last 2027-06-15T20:00Z.
    await s.runAt(lastPass + 27 * HOUR);
    const afterJump = s.receiver.accepted().length;
    await s.step(HOUR);
    await s.step(24 * HOUR);

    const dueOf = new Map(users.map((user) => [user.id, iso(user.dueAt)]));
    const skipped = s.events('NotificationSkipped');
    const counted = s.report({
      scenario: '6-scheduler-down-24h',
      title: 'no scheduler pass for 27 h (25 h of due instants in 26 zones), then the clock jumps',
      expectedUserIds: users.map((user) => user.id),
      notes: `${afterJump} of ${users.length} sent by the first pass after the gap (up to ${Math.round((lastPass + 27 * HOUR - Math.min(...users.map((u) => u.dueAt))) / HOUR)} h late); ${skipped.length} skipped`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(afterJump).toBe(users.length);
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    expect(skipped).toHaveLength(0);
    // Each one for its own 09:00 local, across 25 hours of due instants.
    for (const request of s.receiver.accepted()) expect(request.scheduledFor).toBe(dueOf.get(request.userId));
    expect(new Set(dueOf.values()).size).toBe(ZONES.length);
  }, 90_000);

  it('7. given every queue message handed to two worker invocations at once, with retries, then no webhook is accepted twice', async () => {
    const s = await start({ faults: { deliverEveryMessageTwice: true } });
    const users = await s.users(20);
    // A third of the webhooks fail their first attempt, so their retry messages are doubled too.
    const attempts = new Map<string, number>();
    s.receiver.behave(({ webhookId, seq }) => {
      const count = (attempts.get(webhookId) ?? 0) + 1;
      attempts.set(webhookId, count);
      return { status: count === 1 && seq % 3 === 0 ? 503 : 204 };
    });

    await s.runAt(DUE_UTC);
    await s.stepUntil(
      10 * MINUTE,
      12,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );
    await s.step(HOUR);

    const counted = s.report({
      scenario: '7-queue-delivers-twice',
      title: 'every SQS batch handed to two concurrent worker invocations',
      expectedUserIds: users,
      notes: `${s.receiver.requests.filter((r) => r.status === 503).length} first attempts failed, so their retries were doubled too`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    expect(counted.maxIdsPerUser).toBe(1);
  }, 90_000);

  it('8. given two schedulers and two workers on one table and one queue, passing at the same instants, then no webhook is sent twice', async () => {
    const s = await start();
    const users = await s.users(30);
    const attempts = new Map<string, number>();
    s.receiver.behave(({ webhookId, seq }) => {
      const count = (attempts.get(webhookId) ?? 0) + 1;
      attempts.set(webhookId, count);
      return { status: count === 1 && seq % 4 === 0 ? 503 : 204 };
    });

    // A second scheduler and worker, as a second runtime (or Lambda container) would have them,
    // on the first runtime's table, queue, event bus and clock.
    const { runtime } = s.service;
    const { endpoints } = runtime;
    const { raw, doc } = dynamoClients(endpoints.dynamodb);
    const aws = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const sqs = new SQSClient({ endpoint: endpoints.sqs, ...aws });
    const eventBridge = new EventBridgeClient({ endpoint: endpoints.eventBridge, ...aws });
    const common = {
      clients: { dynamo: doc, sqs, eventBridge },
      clock: runtime.clock,
      tableName: LOCAL_TABLE,
      dueShards: DEFAULT_DUE_SHARDS,
      queueUrl: endpoints.queueUrl,
      eventBusName: 'occasions',
    };
    const secondScheduler = buildScheduler({ ...common, maxLatenessMs: 48 * HOUR });
    const secondWorker = buildWorker({
      ...common,
      deadLetterQueueUrl: endpoints.deadLetterQueueUrl,
      webhookUrl: s.receiver.url,
      webhookSecret: runtime.webhookSecret,
      webhookTimeoutMs: 10_000,
    });
    const workerHandler = createWorkerHandler(() => Promise.resolve(secondWorker));
    const secondPoller = startSqsPoller({
      client: sqs,
      queueUrl: endpoints.queueUrl,
      queueArn: endpoints.queueArn,
      handler: (event, context) => workerHandler(event, context),
      concurrency: 4,
      batchSize: 10,
      functionTimeoutMs: 60_000,
      onError: () => undefined,
    });
    cleanups.push(async () => {
      await secondPoller.stop();
      secondWorker.shutdown();
      raw.destroy();
      sqs.destroy();
      eventBridge.destroy();
    });

    let secondPasses = 0;
    let secondEnqueued = 0;
    const secondRuns = new Set<Promise<unknown>>();
    const runSecondPass = (): void => {
      const pass = secondScheduler.run().then((result) => {
        secondPasses += 1;
        secondEnqueued += result.enqueued;
      });
      secondRuns.add(pass);
      void pass.finally(() => secondRuns.delete(pass));
    };
    // The second scheduler starts its pass the moment the clock moves, before the first
    // runtime's own pass (which the jump starts right after): the two race for every claim.
    const unsubscribe = runtime.clock.onChange(runSecondPass);
    cleanups.push(() => {
      unsubscribe();
      return Promise.allSettled([...secondRuns]).then(() => undefined);
    });
    /** Both runtimes' passes at the same instant, then both workers until the queue is idle. */
    const bothAt = async (at: number): Promise<void> => {
      s.now = at;
      s.begin(at);
      // The second worker is held across the jump, as the runtime holds its own.
      await secondPoller.pause();
      try {
        await s.service.setClock(iso(at));
      } finally {
        secondPoller.resume();
      }
      // One more pass of each, side by side, as two timers firing in the same second would.
      runSecondPass();
      await Promise.all([s.service.tick(), ...secondRuns]);
      // The drain sees the second worker's messages in flight on the shared queue; its last
      // deletes may still be under way when the drain returns.
      s.last = await s.service.drain();
      const deadline = systemClock.now() + 20 * SECOND;
      while (secondPoller.busy() > 0 && systemClock.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      s.last = await s.service.drain();
    };

    await bothAt(DUE_UTC);
    const allDone = (): boolean => s.receiver.accepted().length >= users.length && s.last.pending === 0;
    for (let step = 0; step < 12 && !allDone(); step += 1) await bothAt(s.now + 10 * MINUTE);
    await bothAt(s.now + HOUR);

    const counted = s.report({
      scenario: '8-two-schedulers',
      title: 'two schedulers and two workers on one table and one queue, passing at the same instants',
      expectedUserIds: users,
      notes: `the second scheduler enqueued ${secondEnqueued} over ${secondPasses} passes; a quarter of first attempts failed (503)`,
    });

    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0 });
    expect(counted.maxIdsPerUser).toBe(1);
  }, 90_000);
});
