import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '#commons/clock';
import { startEmbeddedDynamo } from '#local/embedded-dynamodb';
import type { FaultRequest } from '../support/fault-receiver';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { DUE_UTC, InProcessScenario, iso, MINUTE, SECOND } from './harness';

/** The outage, in simulated time, taken in steps so the runtime keeps working through it. */
const OUTAGE_STEPS = 4;
const OUTAGE_STEP_MS = 15 * SECOND;
/** Real time a step may wait for the worker while DynamoDB is away (the SDK's own retries). */
const STEP_WAIT_MS = 1_500;
/** Real time the deliveries may take to reach the receiver's cut. */
const CUT_WAIT_MS = 30_000;

/** Scenario 9 of issue 6: the local DynamoDB unreachable for a minute. */
describe('fault injection: DynamoDB unreachable for a minute', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A runtime whose DYNAMODB_ENDPOINT is a proxy the test can cut, in front of its own dynalite. */
  const start = async (): Promise<{ s: InProcessScenario; proxy: TcpProxy }> => {
    const dynamo = await startEmbeddedDynamo();
    cleanups.push(() => dynamo.stop());
    const proxy = await startTcpProxy(dynamo.endpoint);
    cleanups.push(() => proxy.stop());
    const s = await InProcessScenario.start({ extraEnv: { DYNAMODB_ENDPOINT: proxy.endpoint } });
    cleanups.push(() => s.stop());
    return { s, proxy };
  };

  /** A minute of simulated time with DynamoDB cut off: passes fail, workers fail, nothing waits for it. */
  const outage = async (s: InProcessScenario, proxy: TcpProxy): Promise<number> => {
    proxy.cut();
    s.begin(s.now);
    for (let step = 0; step < OUTAGE_STEPS; step += 1) {
      s.now += OUTAGE_STEP_MS;
      await s.service.setClock(iso(s.now));
      // A full drain would wait for messages whose handling failed: they are invisible for
      // the visibility timeout. Only let the worker and the pass run into the outage.
      s.last = await s.service.runtime.drain(STEP_WAIT_MS);
    }
    proxy.restore();
    return s.receiver.requests.length;
  };

  it('9a. given DynamoDB unreachable for a minute over the due instant, when it is back, then every webhook is sent once', async () => {
    const { s, proxy } = await start();
    const users = await s.users(20);

    s.now = DUE_UTC - SECOND;
    await outage(s, proxy);
    expect(s.receiver.requests).toHaveLength(0);
    await s.step(MINUTE);
    await s.stepUntil(
      10 * MINUTE,
      6,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );

    const counted = s.report({
      scenario: '9a-dynamodb-down-at-due',
      title: 'DynamoDB unreachable (TCP proxy cut) for 1 min over the due instant',
      expectedUserIds: users,
      notes: `${proxy.refused()} DynamoDB connections refused during the outage`,
    });
    expect(counted).toMatchObject({ delivered: users.length, duplicates: 0, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
  }, 90_000);

  it('9b. given DynamoDB cut off mid-delivery, right after a 2xx, when it is back, then nothing is lost and a repeat carries the same webhook-id', async () => {
    const { s, proxy } = await start();
    const users = await s.users(20);
    // The cut comes right after the receiver's 10th 2xx: that worker cannot record it, which is
    // the one duplicate no sender can rule out (the 2xx arrived, the status write did not).
    const CUT_AFTER = 10;
    let cutAt = -1;
    s.receiver.onAnswer(() => {
      if (cutAt < 0 && s.receiver.accepted().length === CUT_AFTER) {
        cutAt = s.receiver.requests.length;
        proxy.cut();
      }
    });

    await s.service.setClock(iso(DUE_UTC));
    s.now = DUE_UTC;
    // Until the receiver has cut DynamoDB off (a busy machine delivers slower), within a bound.
    const giveUpAt = systemClock.now() + CUT_WAIT_MS;
    while (cutAt < 0 && systemClock.now() < giveUpAt) s.last = await s.service.runtime.drain(200);
    expect(cutAt).toBeGreaterThan(0);
    const restoredAt = await outage(s, proxy);
    // Past the visibility timeout (6 min) of the messages whose handling failed.
    await s.stepUntil(
      10 * MINUTE,
      8,
      () => s.receiver.accepted().length >= users.length && s.last.pending === 0,
    );
    await s.step(10 * MINUTE);

    // The 2xx answered before DynamoDB came back, and the ones answered after it.
    const isAccepted = (r: FaultRequest): boolean => r.answered && r.status >= 200 && r.status < 300;
    const acceptedBefore = s.receiver.requests.slice(0, restoredAt).filter(isAccepted);
    const acceptedInOutage = s.receiver.requests.slice(cutAt - 1, restoredAt).filter(isAccepted);
    const repeatedAfter = s.receiver.requests.slice(restoredAt).filter(isAccepted);
    const counted = s.tally(users);
    s.report({
      scenario: '9b-dynamodb-down-mid-delivery',
      title: `DynamoDB cut off right after the receiver's ${CUT_AFTER}th 2xx, for 1 min`,
      expectedUserIds: users,
      notes:
        `${acceptedBefore.length} webhooks got their 2xx before DynamoDB came back (${acceptedInOutage.length} during the outage); ` +
        `${counted.duplicates} of them were sent again after it came back, each under its first webhook-id ` +
        `(their status write, just after the 2xx, was cut off); ` +
        `${proxy.refused()} DynamoDB connections refused`,
    });

    expect(counted).toMatchObject({ delivered: users.length, lost: 0, failed: 0 });
    expect(s.last).toMatchObject({ dlq: 0, pending: 0 });
    // A repeat only of a 2xx whose status write the cut could have hit (answered before DynamoDB
    // came back), sent once more after it was back, under the same webhook-id.
    const firstIds = new Set(acceptedBefore.map((r) => r.webhookId));
    expect(counted.duplicatedIds.every((id) => firstIds.has(id))).toBe(true);
    expect(repeatedAfter.filter((r) => firstIds.has(r.webhookId))).toHaveLength(counted.duplicates);
    expect(new Set(repeatedAfter.map((r) => r.webhookId)).size).toBe(repeatedAfter.length);
    expect(counted.maxIdsPerUser).toBe(1);
  }, 90_000);
});
