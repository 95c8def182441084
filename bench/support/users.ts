import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { userToItem } from '#adapters/dynamodb/dynamo-user-repository';
import { DEFAULT_DUE_SHARDS } from '#adapters/dynamodb/table-layout';
import { birthdayRule, nextOccurrence, occurrenceInYear } from '#domain/schedule';
import type { StoredUser } from '#domain/user';

/**
 * The instant every bench scenario runs at: 12:00 UTC on 15 June 2027. Users born on 15 June in
 * the zones below are due (09:00 local is 07:00-09:00 UTC, within the default 48 h lateness).
 */
export const BENCH_NOW = Date.UTC(2027, 5, 15, 12, 0, 0);
export const BENCH_NOW_ISO = new Date(BENCH_NOW).toISOString();
const DUE_ZONES = ['UTC', 'Europe/London', 'Europe/Paris', 'Africa/Lagos'] as const;
const OTHER_ZONES = ['America/New_York', 'Asia/Kolkata', 'Europe/Berlin', 'Australia/Sydney', 'UTC'] as const;

/** A small deterministic generator, so every run loads the same table. */
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

/** A UUID-shaped, time-ordered id from a run tag and a counter (ids must differ across runs). */
export const benchUserId = (tag: number, index: number): string => {
  const hex = (tag * 10_000_000 + index).toString(16).padStart(12, '0');
  return `01900000-0000-7000-8000-${hex}`;
};

const pad = (value: number): string => String(value).padStart(2, '0');

function baseUser(
  id: string,
  birthday: string,
  timezone: string,
  index: number,
): Omit<StoredUser, 'schedule'> {
  return {
    id,
    firstName: `First${index}`,
    lastName: `Last${index}`,
    birthday,
    timezone,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    lastRequestId: `req-bench-${index}`,
  };
}

/** A user whose birthday occurrence of 15 June 2027 is due at BENCH_NOW. */
export function dueUser(id: string, index: number): StoredUser {
  const timezone = DUE_ZONES[index % DUE_ZONES.length]!;
  const base = baseUser(id, `19${50 + (index % 50)}-06-15`, timezone, index);
  return { ...base, schedule: occurrenceInYear(birthdayRule(base), 2027) };
}

/**
 * A user whose next birthday is after BENCH_NOW: any day of the year except 14-16 June, so the
 * current month's buckets hold not-yet-due items too (the query must skip them by sort key).
 */
export function notDueUser(id: string, index: number, random: () => number): StoredUser {
  let month = 1;
  let day = 1;
  do {
    month = 1 + Math.floor(random() * 12);
    day = 1 + Math.floor(random() * 28);
  } while (month === 6 && day >= 14 && day <= 16);
  const timezone = OTHER_ZONES[index % OTHER_ZONES.length]!;
  const base = baseUser(id, `19${50 + (index % 50)}-${pad(month)}-${pad(day)}`, timezone, index);
  return { ...base, schedule: nextOccurrence(birthdayRule(base), BENCH_NOW) };
}

/**
 * Writes items straight into the table layout with BatchWriteItem (25 per call, a few calls in
 * flight), re-sending unprocessed items: loading 100 k users through the API would take longer
 * than the whole bench.
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly ({ put: Record<string, unknown> } | { delete: Record<string, unknown> })[],
  inFlight = 8,
): Promise<void> {
  const chunks: (typeof requests)[] = [];
  for (let start = 0; start < requests.length; start += 25) chunks.push(requests.slice(start, start + 25));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next]!;
      next += 1;
      let pending = chunk.map((request) =>
        'put' in request ? { PutRequest: { Item: request.put } } : { DeleteRequest: { Key: request.delete } },
      );
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 20) throw new Error('BatchWriteItem keeps leaving items unprocessed');
        const { UnprocessedItems } = await doc.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => worker()));
}

export const userItem = (user: StoredUser): Record<string, unknown> => userToItem(user, DEFAULT_DUE_SHARDS);
