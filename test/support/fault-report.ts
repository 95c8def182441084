import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { isoOf, systemClock } from '#commons/clock';
import { writeFileAtomically } from '#local/local-state';
import type { RecordedEvent } from '#local/eventbridge-recorder';
import type { FaultRequest } from './fault-receiver';

/** One row of the fault table (docs/reliability.md): what a scenario ended with. */
export interface FaultRow {
  /** Stable key, e.g. `1-receiver-down`; rows are sorted by it. */
  scenario: string;
  title: string;
  /** Notifications that should have reached the receiver (one per user in these scenarios). */
  expected: number;
  /** Distinct users whose webhook the receiver accepted (a 2xx the sender got). */
  delivered: number;
  /** Accepted requests beyond the first of each `webhook-id`. */
  duplicates: number;
  /** Expected minus delivered-or-failed. */
  lost: number;
  /** Distinct notifications that failed permanently (NotificationFailed events). */
  failed: number;
  /** Messages in the dead-letter queue at the end. */
  inDlq: number;
  /** Every POST the receiver saw, accepted or not. */
  requests: number;
  /** POSTs that did not deliver: each one was retried or deferred. */
  retries: number;
  /** Simulated time the scenario covered. */
  simulated: string;
  realMs: number;
  notes: string;
}

export interface Tally {
  delivered: number;
  duplicates: number;
  lost: number;
  failed: number;
  requests: number;
  retries: number;
  /** Webhook ids accepted more than once. */
  duplicatedIds: string[];
  /** The most distinct webhook-ids any one user's requests carried (1 when each user has one). */
  maxIdsPerUser: number;
}

/** Domain events the runtime recorded under a DATA_DIR (in-process or a child process). */
export function recordedEvents(dataDir: string): RecordedEvent[] {
  const file = join(dataDir, 'events', 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as RecordedEvent];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

/** Counts what the receiver got against what was expected. */
export function tally(options: {
  expectedUserIds: readonly string[];
  requests: readonly FaultRequest[];
  events: readonly RecordedEvent[];
}): Tally {
  const accepted = options.requests.filter((r) => r.answered && r.status >= 200 && r.status < 300);
  const deliveredUsers = new Set(accepted.map((r) => r.userId));
  const perId = new Map<string, number>();
  for (const request of accepted) perId.set(request.webhookId, (perId.get(request.webhookId) ?? 0) + 1);
  const failedUsers = new Set(
    options.events
      .filter((event) => event.detailType === 'NotificationFailed')
      .map((event) => (event.detail as { userId?: string }).userId ?? ''),
  );
  const idsPerUser = new Map<string, Set<string>>();
  for (const request of options.requests) {
    const ids = idsPerUser.get(request.userId) ?? new Set<string>();
    ids.add(request.webhookId);
    idsPerUser.set(request.userId, ids);
  }
  const expected = new Set(options.expectedUserIds);
  return {
    delivered: [...deliveredUsers].filter((user) => expected.has(user)).length,
    duplicates: accepted.length - perId.size,
    lost: [...expected].filter((user) => !deliveredUsers.has(user) && !failedUsers.has(user)).length,
    failed: [...failedUsers].filter((user) => expected.has(user)).length,
    requests: options.requests.length,
    retries: options.requests.length - accepted.length,
    duplicatedIds: [...perId].filter(([, count]) => count > 1).map(([id]) => id),
    maxIdsPerUser: Math.max(0, ...[...idsPerUser.values()].map((ids) => ids.size)),
  };
}

const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const FAULTS_REPORT = join(REPO_ROOT, 'test-results', 'faults.json');

interface Report {
  updatedAt: string;
  machine: Record<string, string | number>;
  rows: FaultRow[];
}

/**
 * Adds (or replaces) one scenario's row in test-results/faults.json as soon as the scenario ends.
 * The fault files run in parallel processes, so the read-merge-write holds a lock file.
 */
export function recordFaultRow(row: FaultRow): void {
  mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
  withLock(`${FAULTS_REPORT}.lock`, () => {
    const previous = existsSync(FAULTS_REPORT)
      ? (JSON.parse(readFileSync(FAULTS_REPORT, 'utf8')) as Partial<Report>)
      : {};
    const rows = (previous.rows ?? []).filter((existing) => existing.scenario !== row.scenario);
    rows.push(row);
    rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
    const report: Report = { updatedAt: isoOf(systemClock.now()), machine: machineFacts(), rows };
    writeFileAtomically(FAULTS_REPORT, `${JSON.stringify(report, null, 2)}\n`, 0o644);
  });
}

function machineFacts(): Record<string, string | number> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

const LOCK_WAIT_MS = 10;
const LOCK_TRIES = 500;
/** A lock older than this was left by a killed test process. */
const STALE_LOCK_MS = 10_000;

function withLock(lockPath: string, action: () => void): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < LOCK_TRIES; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (systemClock.now() - statSync(lockPath).mtimeMs > STALE_LOCK_MS) rmSync(lockPath, { force: true });
      } catch {
        // Released meanwhile.
      }
      Atomics.wait(pause, 0, 0, LOCK_WAIT_MS);
      continue;
    }
    try {
      action();
    } finally {
      closeSync(fd);
      rmSync(lockPath, { force: true });
    }
    return;
  }
  throw new Error(`could not lock ${lockPath}`);
}
