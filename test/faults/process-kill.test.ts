import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '#commons/clock';
import { exitWithin, startChildRuntime, type ChildRuntime } from '../support/child-runtime';
import { FaultReceiver } from '../support/fault-receiver';
import { recordedEvents, recordFaultRow, tally } from '../support/fault-report';
import { BIRTHDAY, CLOCK_START, DUE_UTC, describeSpan, iso, mapLimited, MINUTE } from './harness';

const USERS = 40;
/** The kill comes right after the receiver has answered this many webhooks with 2xx. */
const KILL_AFTER = 15;
/** Each answer takes this long (real ms), so many POSTs are in flight when the kill comes. */
const ANSWER_DELAY_MS = 30;
const STOP_TIMEOUT_MS = 10_000;

/** Scenario 5 of issue 6: the local runtime killed with SIGKILL mid-batch, then restarted. */
describe('fault injection: the runtime process killed mid-batch', () => {
  const children: ChildRuntime[] = [];
  const dataDirs: string[] = [];
  let receiver: FaultReceiver | undefined;
  afterEach(async () => {
    for (const running of children.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      await exitWithin(running, STOP_TIMEOUT_MS);
    }
    await receiver?.stop();
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("5. given deliveries in flight, when the process is SIGKILLed right after a receiver's 2xx and restarted on the same data, then nothing is lost and the only repeats carry the same webhook-id", async () => {
    const startedAt = systemClock.now();
    receiver = await new FaultReceiver().start();
    const dataDir = mkdtempSync(join(tmpdir(), 'occasions-faults-kill-'));
    dataDirs.push(dataDir);
    const variables = { DATA_DIR: dataDir, CLOCK_START, WEBHOOK_URL: receiver.url };
    const first = await startChildRuntime(variables);
    children.push(first);

    const users = await mapLimited(
      Array.from({ length: USERS }, (_, i) => i),
      10,
      async () => {
        const { status, body } = await first.api('POST', '/v1/users', {
          firstName: 'Fault',
          lastName: 'Kill',
          birthday: BIRTHDAY,
          timezone: 'UTC',
        });
        expect(status).toBe(201);
        return (body as { id: string }).id;
      },
    );

    let killedAfterRequest = -1;
    receiver.behave(() => ({ status: 204, delayMs: ANSWER_DELAY_MS }));
    receiver.onAnswer(() => {
      if (killedAfterRequest < 0 && receiver!.accepted().length === KILL_AFTER) {
        killedAfterRequest = receiver!.requests.length;
        first.child.kill('SIGKILL');
      }
    });
    // The jump runs the pass in the background; the deliveries follow, and the kill with them.
    expect((await first.api('POST', '/_local/clock', { now: iso(DUE_UTC) })).status).toBe(200);
    expect(await exitWithin(first, STOP_TIMEOUT_MS)).toMatchObject({ signal: 'SIGKILL' });
    const acceptedBeforeKill = new Set(receiver.accepted().map((r) => r.webhookId));
    // Let POSTs sent just before the kill reach the receiver (it cannot answer them any more).
    await new Promise((resolve) => setTimeout(resolve, 2 * ANSWER_DELAY_MS));
    const requestsAtKill = receiver.requests.length;

    receiver.behave(() => ({ status: 204 }));
    const second = await startChildRuntime(variables);
    children.push(second);
    let now = DUE_UTC;
    let last = { delivered: 0, failed: 0, pending: 0, dlq: 0 };
    // Past the visibility timeout (6 min) and the claim leases of what the kill interrupted.
    for (let step = 0; step < 6; step += 1) {
      now += 10 * MINUTE;
      expect((await second.api('POST', '/_local/clock', { now: iso(now) })).status).toBe(200);
      last = (await second.api('POST', '/_local/drain', { timeoutSeconds: 20 })).body as typeof last;
      if (receiver.accepted().length >= USERS && last.pending === 0 && step >= 1) break;
    }
    expect((await second.api('GET', '/v1/users?limit=100')).status).toBe(200);
    second.child.kill('SIGTERM');
    await exitWithin(second, STOP_TIMEOUT_MS);

    const counted = tally({
      expectedUserIds: users,
      requests: receiver.requests,
      events: recordedEvents(dataDir),
    });
    recordFaultRow({
      scenario: '5-runtime-sigkill',
      title: `npm start process SIGKILLed right after the receiver's ${KILL_AFTER}th 2xx, restarted on the same DATA_DIR`,
      expected: USERS,
      delivered: counted.delivered,
      duplicates: counted.duplicates,
      lost: counted.lost,
      failed: counted.failed,
      inDlq: last.dlq,
      requests: counted.requests,
      retries: counted.retries,
      simulated: describeSpan(now - DUE_UTC),
      realMs: systemClock.now() - startedAt,
      notes:
        `${requestsAtKill} POSTs reached the receiver before the kill, ${acceptedBeforeKill.size} answered 2xx; ` +
        `${counted.duplicates} sent again after the restart, each under the webhook-id it had (the kill came between the 2xx and the status write)`,
    });

    expect(counted).toMatchObject({ delivered: USERS, lost: 0, failed: 0 });
    expect(last).toMatchObject({ dlq: 0, pending: 0 });
    // The one repeat no sender can rule out, and only that: a 2xx answered before the kill,
    // repeated under the same webhook-id.
    expect(counted.duplicatedIds.every((id) => acceptedBeforeKill.has(id))).toBe(true);
    expect(counted.maxIdsPerUser).toBe(1);
  }, 120_000);
});
