import { createHash } from 'node:crypto';
import type { OccurrenceStatus } from './occurrence';

/**
 * A replay job (POST /v1/replays): queue again the notifications of a due-time window that
 * failed, were skipped (too late) or, when asked, were cancelled; delivered ones only when forced
 * (CONTRACT section 4). The job is one item whose id is derived from the normalized request, so
 * the same request twice is the same job, and it keeps its progress (a cursor into the
 * notification log and the counts so far) so that a crash or a timeout resumes where it stopped.
 */

/** Most notifications one job may examine (the window's, after type and user); beyond it: 422. */
export const MAX_REPLAY_OCCURRENCES = 10_000;
/** Longest window of one job, in days (the notification log's own limit). */
export const MAX_REPLAY_WINDOW_DAYS = 366;

/** Statuses a replay may queue again; the in-flight ones (queued, sending, retrying) never. */
export const REPLAYABLE_STATUSES = [
  'failed',
  'skipped',
  'cancelled',
  'delivered',
] as const satisfies readonly OccurrenceStatus[];
export type ReplayableStatus = (typeof REPLAYABLE_STATUSES)[number];

/** Without `status`: failed and skipped ones, plus delivered ones when forced. */
export const DEFAULT_REPLAY_STATUSES: readonly ReplayableStatus[] = ['failed', 'skipped'];

export type ReplayJobStatus = 'pending' | 'running' | 'done' | 'failed';

/** What a job replays, normalized: the same request always reads the same. */
export interface ReplayRequest {
  /** Earliest `scheduledFor` (epoch ms), inclusive. */
  from: number;
  /** Latest `scheduledFor` (epoch ms), exclusive. */
  to: number;
  /** The event type's key. */
  eventKey?: string;
  userId?: string;
  /** Sorted, without repeats. */
  statuses: ReplayableStatus[];
  /** Re-send delivered ones too (when `delivered` is among the statuses). */
  force: boolean;
}

/**
 * Every notification of the window (after type and user) is counted once in `matched`, and once
 * in exactly one of the others.
 */
export interface ReplayCounts {
  matched: number;
  /** Queued again by this job. */
  requeued: number;
  /** Delivered and not forced. */
  skippedDelivered: number;
  /** Queued, sending or retrying: already on their way. */
  skippedInFlight: number;
  /** In a status the request did not ask for (e.g. cancelled by default). */
  skippedOtherStatus: number;
  /** Gone, or changed under the job so that it no longer qualified. */
  skippedChanged: number;
}

export const zeroCounts = (): ReplayCounts => ({
  matched: 0,
  requeued: 0,
  skippedDelivered: 0,
  skippedInFlight: 0,
  skippedOtherStatus: 0,
  skippedChanged: 0,
});

export interface ReplayJob {
  /** `rpl_` + 32 hex digits of the normalized request's digest. */
  id: string;
  status: ReplayJobStatus;
  request: ReplayRequest;
  /** What the window held when the job was created (its `matched` count then). */
  total: number;
  counts: ReplayCounts;
  /** Where the job goes on in the notification log; absent before the first page and when done. */
  cursor?: string;
  error?: string;
  /** The x-request-id of the API call that created it; travels on the messages it sends. */
  correlationId?: string;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  version: number;
}

/** The statuses a request stands for: its own, or the defaults (delivered too when forced). */
export function normalizeReplayRequest(input: {
  from: number;
  to: number;
  eventKey?: string;
  userId?: string;
  statuses?: readonly ReplayableStatus[];
  force?: boolean;
}): ReplayRequest {
  const force = input.force ?? false;
  const statuses =
    input.statuses ?? (force ? [...DEFAULT_REPLAY_STATUSES, 'delivered' as const] : DEFAULT_REPLAY_STATUSES);
  return {
    from: input.from,
    to: input.to,
    ...(input.eventKey === undefined ? {} : { eventKey: input.eventKey }),
    ...(input.userId === undefined ? {} : { userId: input.userId.toLowerCase() }),
    statuses: [...new Set(statuses)].sort(),
    force,
  };
}

/** The job id of a request: the same normalized request, the same job (a repeat is harmless). */
export function replayJobIdOf(request: ReplayRequest): string {
  const canonical = JSON.stringify([
    request.from,
    request.to,
    request.eventKey ?? null,
    request.userId ?? null,
    request.statuses,
    request.force,
  ]);
  return `rpl_${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

export const REPLAY_JOB_ID = /^rpl_[0-9a-f]{32}$/;

export function newReplayJob(
  request: ReplayRequest,
  total: number,
  now: number,
  correlationId?: string,
): ReplayJob {
  return {
    id: replayJobIdOf(request),
    status: 'pending',
    request,
    total,
    counts: zeroCounts(),
    ...(correlationId === undefined ? {} : { correlationId }),
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

const nextJob = (job: ReplayJob, now: number, changes: Partial<ReplayJob>): ReplayJob => ({
  ...job,
  ...changes,
  updatedAt: now,
  version: job.version + 1,
});

/** A runner takes the job up (first start, resumption after a timeout, a crash or a failure). */
export function startReplayJob(job: ReplayJob, now: number): ReplayJob {
  return nextJob(job, now, { status: 'running', error: undefined, startedAt: job.startedAt ?? now });
}

/** One page done: its counts added, and where the next one starts. */
export function recordReplayPage(
  job: ReplayJob,
  now: number,
  page: ReplayCounts,
  cursor: string | null,
): ReplayJob {
  const counts = { ...job.counts };
  for (const key of Object.keys(counts) as (keyof ReplayCounts)[]) counts[key] += page[key];
  return cursor === null
    ? nextJob(job, now, { counts, cursor: undefined, status: 'done', finishedAt: now })
    : nextJob(job, now, { counts, cursor });
}

/** The runner stopped on an error; a repeat of the request (or Lambda's retry) resumes it. */
export function failReplayJob(job: ReplayJob, now: number, error: string): ReplayJob {
  return nextJob(job, now, { status: 'failed', error });
}

/** A failed job taken up again by a repeat of its request. */
export function relaunchReplayJob(job: ReplayJob, now: number): ReplayJob {
  return nextJob(job, now, { status: 'pending', error: undefined });
}
