import { expect } from 'vitest';
import { DynamoCircuitStateStore } from '#adapters/circuit/circuit-state-store';
import { DynamoOccurrenceRepository } from '#adapters/dynamodb/dynamo-occurrence-repository';
import { DEFAULT_DUE_SHARDS } from '#adapters/dynamodb/table-layout';
import { dynamoClients } from '#local/embedded-dynamodb';
import { LOCAL_TABLE } from '#local/runtime';
import { systemClock } from '#commons/clock';
import type { LocalFaults } from '#local/runtime';
import type { DrainResult } from '#local/local-routes';
import { FaultReceiver } from '../support/fault-receiver';
import { recordedEvents, recordFaultRow, tally, type FaultRow, type Tally } from '../support/fault-report';
import { startTestService, type TestService } from '../support/local-service';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const iso = (ms: number): string => new Date(ms).toISOString();

/** Everyone in these scenarios has a birthday on 15 June; the clock starts the day before. */
export const CLOCK_START = '2027-06-14T00:00:00Z';
export const BIRTHDAY = '1990-06-15';
/** 09:00 UTC on 15 June 2027: when a UTC user's notification is due. */
export const DUE_UTC = Date.parse('2027-06-15T09:00:00Z');

/** How many API calls a test makes at once when it sets up its population. */
const SETUP_CONCURRENCY = 10;

/** Runs `task` over `items`, `limit` at a time, keeping the order of the results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Creates `timezones.length` users born on BIRTHDAY, one per entry, through the admin API. */
export async function createUsers(
  service: Pick<TestService, 'api'>,
  timezones: readonly string[],
): Promise<{ id: string; dueAt: number }[]> {
  return mapLimited(timezones, SETUP_CONCURRENCY, async (timezone) => {
    const { status, body } = await service.api('POST', '/v1/users', {
      firstName: 'Fault',
      lastName: 'Scenario',
      birthday: BIRTHDAY,
      timezone,
    });
    expect(status).toBe(201);
    const user = body as { id: string; nextNotificationAt: string };
    return { id: user.id, dueAt: Date.parse(user.nextNotificationAt) };
  });
}

/**
 * One in-process runtime on simulated time with a fault receiver as its webhook, and the
 * bookkeeping every scenario reports: the clock only moves when the scenario steps it.
 */
export class InProcessScenario {
  readonly startedAt = systemClock.now();
  now = Date.parse(CLOCK_START);
  last: DrainResult = { delivered: 0, failed: 0, pending: 0, dlq: 0 };
  /** The first instant the scenario ran the pipeline at: its simulated span starts there. */
  private firstAt: number | undefined;
  private readonly tableClients: { destroy(): void }[] = [];

  private constructor(
    readonly service: TestService,
    readonly receiver: FaultReceiver,
  ) {}

  static async start(options: { faults?: LocalFaults; extraEnv?: Record<string, string> } = {}) {
    const receiver = await new FaultReceiver().start();
    const service = await startTestService({
      clockStart: CLOCK_START,
      webhookUrl: receiver.url,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    });
    receiver.now = () => service.runtime.clock.now();
    return new InProcessScenario(service, receiver);
  }

  async users(count: number, timezone = 'UTC'): Promise<string[]> {
    return (
      await createUsers(
        this.service,
        Array.from({ length: count }, () => timezone),
      )
    ).map((user) => user.id);
  }

  /** Marks `at` as where the scenario's simulated span starts (for steps outside `runAt`). */
  begin(at: number): void {
    this.firstAt ??= at;
  }

  /**
   * Jumps the clock to `at` and drains. The jump runs the scheduler pass the timer would have run
   * (drain waits for it); a second explicit pass would only double the cost of every step.
   */
  async runAt(at: number): Promise<DrainResult> {
    this.now = at;
    this.firstAt ??= at;
    await this.service.setClock(iso(at));
    this.last = await this.service.drain();
    return this.last;
  }

  step(ms: number): Promise<DrainResult> {
    return this.runAt(this.now + ms);
  }

  /** Steps until `done` holds or `maxSteps` were taken; returns the steps taken. */
  async stepUntil(ms: number, maxSteps: number, done: () => boolean): Promise<number> {
    let steps = 0;
    while (!done() && steps < maxSteps) {
      await this.step(ms);
      steps += 1;
    }
    return steps;
  }

  tally(expectedUserIds: readonly string[]): Tally {
    return tally({
      expectedUserIds,
      requests: this.receiver.requests,
      events: recordedEvents(this.service.dataDir),
    });
  }

  /** Writes this scenario's row to test-results/faults.json and returns the tally it is built on. */
  report(
    row: Pick<FaultRow, 'scenario' | 'title' | 'notes'> & { expectedUserIds: readonly string[] },
  ): Tally {
    const counted = this.tally(row.expectedUserIds);
    recordFaultRow({
      scenario: row.scenario,
      title: row.title,
      expected: row.expectedUserIds.length,
      delivered: counted.delivered,
      duplicates: counted.duplicates,
      lost: counted.lost,
      failed: counted.failed,
      inDlq: this.last.dlq,
      // Connections reset while the receiver was down were attempts too.
      requests: counted.requests + this.receiver.refusedAt.length,
      retries: counted.retries + this.receiver.refusedAt.length,
      simulated: describeSpan(this.now - (this.firstAt ?? this.now)),
      realMs: systemClock.now() - this.startedAt,
      notes: row.notes,
    });
    return counted;
  }

  /** The runtime's table, read directly: attempt logs, occurrence states, circuit records. */
  table() {
    const { raw, doc } = dynamoClients(this.service.runtime.endpoints.dynamodb);
    this.tableClients.push(raw);
    return {
      occurrences: new DynamoOccurrenceRepository({
        client: doc,
        tableName: LOCAL_TABLE,
        watchShards: DEFAULT_DUE_SHARDS,
      }),
      circuits: new DynamoCircuitStateStore({ client: doc, tableName: LOCAL_TABLE }),
    };
  }

  events(type?: string) {
    const all = recordedEvents(this.service.dataDir);
    return type ? all.filter((event) => event.detailType === type) : all;
  }

  async stop(): Promise<void> {
    for (const client of this.tableClients.splice(0)) client.destroy();
    await this.service.stop();
    await this.receiver.stop();
  }
}

export function describeSpan(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Math.round(ms / 86_400_000)} d`;
  if (ms >= 2 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / MINUTE)} min`;
}

/** A seeded PRNG (mulberry32): the same flapping pattern on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
