import type { Clock } from '#commons/clock';
import { NotFoundError } from '#commons/errors';
import { replay, type Occurrence } from '#domain/occurrence';
import {
  failReplayJob,
  MAX_REPLAY_OCCURRENCES,
  newReplayJob,
  normalizeReplayRequest,
  recordReplayPage,
  relaunchReplayJob,
  replayJobIdOf,
  startReplayJob,
  zeroCounts,
  type ReplayableStatus,
  type ReplayCounts,
  type ReplayJob,
  type ReplayRequest,
} from '#domain/replay-job';
import type { NotificationMessage, NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceLog } from '#ports/occurrence-log';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { ReplayJobPage, ReplayJobRepository } from '#ports/replay-job-repository';
import type { ReplayLauncher } from '#ports/replay-launcher';
import { mapLimited } from './concurrency';

/** Notifications read per page of the log; the job's progress is saved after each page. */
const PAGE_SIZE = 100;
const CONCURRENCY = 8;
/** Conditional-write retries when an occurrence changes under the replay. */
const MAX_TRANSITION_ATTEMPTS = 3;
/** A pending or running job nobody has moved for this long lost its runner: a repeat relaunches it. */
export const STALE_JOB_MS = 15 * 60_000;

/** What an admin asks for (POST /v1/replays), before normalization. */
export interface ReplayInput {
  from: number;
  to: number;
  eventKey?: string;
  userId?: string;
  statuses?: readonly ReplayableStatus[];
  force?: boolean;
}

/** The window holds more notifications than one job may take: nothing was started. */
export class ReplayTooLargeError extends Error {
  override readonly name = 'ReplayTooLargeError';
  constructor(readonly limit: number) {
    super(`the window holds more than ${limit} notifications`);
  }
}

/** A dry run: what the job would do now. */
export interface ReplayPreview {
  id: string;
  request: ReplayRequest;
  counts: ReplayCounts;
}

/** How a runner left a job: finished, handed on (time ran low), or left to another runner. */
export type ReplayRunOutcome =
  | { kind: 'done'; job: ReplayJob }
  | { kind: 'failed'; job: ReplayJob }
  | { kind: 'continue'; job: ReplayJob }
  | { kind: 'taken' }
  | { kind: 'missing' };

type Bucket = Exclude<keyof ReplayCounts, 'matched'>;

interface Dependencies {
  log: OccurrenceLog;
  occurrences: Pick<OccurrenceRepository, 'get' | 'save'>;
  queue: Pick<NotificationQueue, 'enqueue'>;
  jobs: ReplayJobRepository;
  launcher: ReplayLauncher;
  clock: Clock;
  /** Most notifications per job; MAX_REPLAY_OCCURRENCES unless a test shrinks it. */
  maxOccurrences?: number;
  /** Details of an unexpected error that stopped a job (the job itself keeps a generic message). */
  onError?: (message: string, error: unknown) => void;
}

/**
 * Replay / recover (POST /v1/replays): finds a window's notifications through the notification
 * log (the keys-only log index, never a Scan), queues the replayable ones again with a
 * conditional domain transition each, and records progress on the job after every page.
 *
 * Harmless to repeat at every level: the same request is the same job (its id is the request's
 * digest); a job run twice, resumed, or beside the worker requeues each notification at most
 * once (`replayedBy`), and only ones that are not on their way already; delivered ones only when
 * forced.
 */
export class ReplayWindow {
  private readonly maxOccurrences: number;

  constructor(private readonly deps: Dependencies) {
    this.maxOccurrences = deps.maxOccurrences ?? MAX_REPLAY_OCCURRENCES;
  }

  /** The most notifications one job may take. */
  get limit(): number {
    return this.maxOccurrences;
  }

  /**
   * What a job for this request would do now, without doing it.
   * @throws ReplayTooLargeError beyond the cap
   */
  async preview(input: ReplayInput): Promise<ReplayPreview> {
    const request = normalizeReplayRequest(input);
    const id = replayJobIdOf(request);
    return { id, request, counts: await this.count(request, id) };
  }

  /**
   * Creates the job and launches it; the same request again answers the same job and starts
   * nothing (unless its runner failed or vanished: then it is relaunched and resumes).
   * @throws ReplayTooLargeError beyond the cap; nothing is created or started
   */
  async start(input: ReplayInput, correlationId?: string): Promise<{ job: ReplayJob; created: boolean }> {
    const request = normalizeReplayRequest(input);
    const id = replayJobIdOf(request);
    const existing = await this.deps.jobs.get(id);
    if (existing) return { job: await this.repeat(existing), created: false };

    const counts = await this.count(request, id);
    const job = newReplayJob(request, counts.matched, this.deps.clock.now(), correlationId);
    if (!(await this.deps.jobs.create(job))) {
      // The same request at the same moment: the other call created it and launched it.
      const raced = await this.deps.jobs.get(id);
      if (!raced) throw new Error(`replay job ${id} vanished`);
      return { job: raced, created: false };
    }
    await this.deps.launcher.launch(id);
    return { job, created: true };
  }

  /** @throws NotFoundError */
  async get(id: string): Promise<ReplayJob> {
    const job = await this.deps.jobs.get(id);
    if (!job) throw new NotFoundError('replay job', id);
    return job;
  }

  list(limit: number, cursor?: string): Promise<ReplayJobPage> {
    return this.deps.jobs.list(limit, cursor);
  }

  /** Resolves once every job launched from this process has stopped (in-process launchers). */
  async settled(): Promise<void> {
    await this.deps.launcher.settled?.();
  }

  /**
   * Runs a job from where it stands until it is done, `shouldStop` says time is running low
   * (`continue`: launch it again), or another runner took it over (`taken`). An unexpected error
   * marks the job failed and is thrown (Lambda's retry of the invocation resumes it).
   */
  async run(jobId: string, options: { shouldStop?: () => boolean } = {}): Promise<ReplayRunOutcome> {
    const { jobs, clock } = this.deps;
    const found = await jobs.get(jobId);
    if (!found) return { kind: 'missing' };
    if (found.status === 'done') return { kind: 'done', job: found };
    let job = startReplayJob(found, clock.now());
    if (!(await jobs.save(job))) return { kind: 'taken' };
    try {
      for (;;) {
        const { request } = job;
        const page = await this.deps.log.list({
          from: request.from,
          to: request.to,
          ...(request.eventKey === undefined ? {} : { eventKey: request.eventKey }),
          ...(request.userId === undefined ? {} : { userId: request.userId }),
          limit: PAGE_SIZE,
          ...(job.cursor === undefined ? {} : { cursor: job.cursor }),
        });
        if (job.counts.matched + page.items.length > this.maxOccurrences) {
          // New notifications entered the window since the job was created: stop at the cap.
          const failed = failReplayJob(
            job,
            clock.now(),
            `the window now holds more than ${this.maxOccurrences} notifications; ` +
              'replay the rest with a narrower window',
          );
          return (await jobs.save(failed)) ? { kind: 'failed', job: failed } : { kind: 'taken' };
        }
        const counts = await this.replayPage(job, page.items);
        const next = recordReplayPage(job, clock.now(), counts, page.nextCursor);
        // Losing this write means another runner has the job: it redoes this page harmlessly.
        if (!(await jobs.save(next))) return { kind: 'taken' };
        job = next;
        if (job.status === 'done') return { kind: 'done', job };
        if (options.shouldStop?.()) return { kind: 'continue', job };
      }
    } catch (error) {
      this.deps.onError?.(`replay job ${jobId} stopped on an unexpected error`, error);
      const failed = failReplayJob(
        job,
        clock.now(),
        'stopped on an unexpected error (logged); repeat the request to resume it',
      );
      await jobs.save(failed).catch(() => undefined);
      throw error;
    }
  }

  /** A repeat of the request: the job as it is, relaunched only when its runner failed or vanished. */
  private async repeat(job: ReplayJob): Promise<ReplayJob> {
    const now = this.deps.clock.now();
    const stale =
      (job.status === 'pending' || job.status === 'running') && job.updatedAt + STALE_JOB_MS < now;
    if (job.status !== 'failed' && !stale) return job;
    const relaunched = relaunchReplayJob(job, now);
    // Lost to a concurrent change: someone else moved it, so it has a runner.
    if (!(await this.deps.jobs.save(relaunched))) return (await this.deps.jobs.get(job.id)) ?? job;
    await this.deps.launcher.launch(job.id);
    return relaunched;
  }

  /** What the job would do to each notification of the window, stopping past the cap. */
  private async count(request: ReplayRequest, jobId: string): Promise<ReplayCounts> {
    const counts = zeroCounts();
    let cursor: string | null | undefined;
    do {
      const page = await this.deps.log.list({
        from: request.from,
        to: request.to,
        ...(request.eventKey === undefined ? {} : { eventKey: request.eventKey }),
        ...(request.userId === undefined ? {} : { userId: request.userId }),
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      for (const occurrence of page.items) {
        const decision = decide(occurrence, request, jobId, this.deps.clock.now());
        counts.matched += 1;
        counts[typeof decision === 'string' ? decision : 'requeued'] += 1;
      }
      if (counts.matched > this.maxOccurrences) throw new ReplayTooLargeError(this.maxOccurrences);
      cursor = page.nextCursor;
    } while (cursor);
    return counts;
  }

  /** One page: each notification transitioned (conditionally) and its message sent. */
  private async replayPage(job: ReplayJob, items: readonly Occurrence[]): Promise<ReplayCounts> {
    const results = await mapLimited(items, CONCURRENCY, (occurrence) => this.replayOne(job, occurrence));
    const counts = zeroCounts();
    const messages: NotificationMessage[] = [];
    for (const { bucket, message } of results) {
      counts.matched += 1;
      counts[bucket] += 1;
      if (message) messages.push(message);
    }
    // A message that cannot be sent is not lost: its occurrence is queued and watched, so the
    // scheduler sends it again once the watch grace has passed.
    if (messages.length > 0) await this.deps.queue.enqueue(messages);
    return counts;
  }

  private async replayOne(
    job: ReplayJob,
    listed: Occurrence,
  ): Promise<{ bucket: Bucket; message?: NotificationMessage }> {
    const { occurrences, clock } = this.deps;
    let current: Occurrence | undefined = listed;
    for (let attempt = 1; current && attempt <= MAX_TRANSITION_ATTEMPTS; attempt += 1) {
      const message: NotificationMessage = {
        occurrenceId: current.occurrenceId,
        userId: current.userId,
        correlationId: job.id,
      };
      const decision = decide(current, job.request, job.id, clock.now());
      if (decision === 'requeued') {
        // Queued by this job before (a resumed page, a second runner): its message may not have
        // gone out, and a duplicate is harmless (the worker's claim lets one through).
        return current.status === 'queued' ? { bucket: 'requeued', message } : { bucket: 'requeued' };
      }
      if (typeof decision === 'string') return { bucket: decision };
      if (await occurrences.save(decision)) return { bucket: 'requeued', message };
      current = await occurrences.get(current.occurrenceId);
    }
    return { bucket: 'skippedChanged' };
  }
}

/** What a job does to one notification: its new state, or the count it goes to unchanged. */
function decide(
  occurrence: Occurrence,
  request: ReplayRequest,
  jobId: string,
  now: number,
): Occurrence | Bucket {
  if (occurrence.replayedBy === jobId) return 'requeued';
  const { status } = occurrence;
  if (status === 'queued' || status === 'sending' || status === 'retrying') return 'skippedInFlight';
  if (status === 'delivered' && !request.force) return 'skippedDelivered';
  if (!(request.statuses as readonly string[]).includes(status)) return 'skippedOtherStatus';
  const next = replay(occurrence, now, { jobId, force: request.force });
  switch (next) {
    case 'already-replayed':
      return 'requeued';
    case 'in-flight':
      return 'skippedInFlight';
    case 'delivered':
      return 'skippedDelivered';
    default:
      return next;
  }
}
