/**
 * One notification: a user's event on one local date. Its id is deterministic (user, event,
 * local date), so whatever runs twice meets the same record, and every change of state is a
 * conditional write on `version`.
 *
 * ```
 *            ┌──────────── deferred (429, circuit open): budget untouched ────────────┐
 *            ▼                                                                         │
 *  queued ──claim──> sending ──2xx──> delivered                                        │
 *    ▲  │              │  ├──5xx/timeout, budget left──> retrying ──claim──> sending ───┘
 *    │  │              │  └──other 4xx / budget spent──> failed (message to the DLQ)
 *    │  └─stale (user deleted, birthday or zone changed)──> cancelled ──rescheduled──┐
 *    └─────────────────────────────────────────────────────────────────────────────┘
 *  (too late when found by the scheduler) ──> skipped
 * ```
 */
export type OccurrenceStatus =
  'queued' | 'sending' | 'retrying' | 'delivered' | 'failed' | 'cancelled' | 'skipped';

/** How long past its next attempt an occurrence may sit before the scheduler re-sends it. */
export const WATCH_GRACE_MS = 15 * 60_000;
/** Rescued again and again (a poison message, a long backlog), it is looked at less and less often. */
const MAX_WATCH_BACKOFF_MS = 24 * 3_600_000;

/** Statuses after which nothing is ever sent again for this occurrence (unless replayed). */
export const FINAL_STATUSES: ReadonlySet<OccurrenceStatus> = new Set(['delivered', 'failed', 'skipped']);

/** What an occurrence is of: the user, event and local date, as the scheduler found them. */
export interface NewOccurrence {
  occurrenceId: string;
  userId: string;
  eventKey: string;
  localDate: string;
  timezone: string;
  /** The instant it was due (epoch ms). */
  scheduledFor: number;
  /** What the schedule was computed from (see scheduleFingerprintOf); stale when it differs. */
  fingerprint: string;
  /** The x-request-id of the API call that scheduled it, for log correlation. */
  correlationId?: string;
  /** The user's event it is of (`birthday` or a stored event's id); absent on older birthdays. */
  eventId?: string;
  /** An admin's test send (POST …/events/{eventId}/send): never the year's delivery. */
  manual?: boolean;
}

/** An occurrence as stored: what it is of, and where it stands. */
export interface Occurrence extends NewOccurrence {
  status: OccurrenceStatus;
  /** Attempts that used the retry budget (5xx, timeouts, connection errors). */
  attempts: number;
  /** Waits that did not use it (429, circuit open). */
  deferrals: number;
  /** POSTs made, for the attempt log's sequence numbers. */
  attemptSequence: number;
  /** Not to be attempted before this instant (epoch ms). */
  nextAttemptAt: number;
  /** While `sending`: who holds it and until when. */
  leaseOwner?: string;
  leaseUntil?: number;
  createdAt: number;
  updatedAt: number;
  /** When it was last handed to the queue by the scheduler. */
  enqueuedAt: number;
  /**
   * While not final: the instant by which it must have moved on (its next attempt plus a grace
   * period). The scheduler re-sends an occurrence found past it: its message was lost (retention,
   * a redrive after repeated crashes, a purged queue). Absent once final or cancelled.
   */
  watchAt?: number;
  /** How often the scheduler re-sent it after finding it past `watchAt`; backs the watch off. */
  rescues?: number;
  deliveredAt?: number;
  lastError?: string;
  statusReason?: string;
  /**
   * The replay job that last queued it again (POST /v1/replays). One job requeues an
   * occurrence at most once, however often it runs; its later attempts count as replays.
   */
  replayedBy?: string;
  /**
   * Created by a worker's claim of a scheduler's plan (ADR 0010), not by a pass. Until its first
   * POST (`attemptSequence` 0) such an occurrence is the only trace of the notification: one whose
   * user or event turned out gone is deleted (discardable), not cancelled.
   */
  fromPlan?: true;
  /**
   * The first POST, when it delivered: kept on the `delivered` write instead of in an attempt
   * item of its own (one write less for most notifications). Every other attempt has its item.
   */
  firstAttempt?: KeptAttempt;
  version: number;
}

/** A fresh occurrence as the scheduler creates it: queued, or skipped when found too late. */
export function newOccurrence(input: NewOccurrence, now: number, tooLate: boolean): Occurrence {
  return {
    ...input,
    status: tooLate ? 'skipped' : 'queued',
    ...(tooLate ? { statusReason: 'later than the maximum lateness' } : {}),
    attempts: 0,
    deferrals: 0,
    attemptSequence: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
    enqueuedAt: now,
    ...(tooLate ? {} : { watchAt: now + WATCH_GRACE_MS }),
    version: 1,
  };
}

/**
 * What a scheduler pass puts on the queue instead of writing the occurrence (ADR 0010): what it
 * is of, as the pass found it, and when the pass handed it on. The id and the user travel beside
 * it on the message.
 */
export type OccurrencePlan = Omit<NewOccurrence, 'occurrenceId' | 'userId' | 'correlationId' | 'manual'> & {
  plannedAt: number;
};

/** The plan of a due occurrence, as a pass puts it on its message. */
export function planOf(input: NewOccurrence, plannedAt: number): OccurrencePlan {
  const { occurrenceId: _id, userId: _user, correlationId: _correlation, manual: _manual, ...plan } = input;
  return { ...plan, plannedAt };
}

/**
 * The occurrence of a plan, not stored yet: `version` 0, queued since the pass, unwatched (the
 * message is on the queue until a worker is done with it, so nothing can lose it before the
 * claim). The worker's claim is its first write, a conditional create (version 1 is written only
 * where no item exists), so a duplicate message or a second pass cannot make a second one.
 */
export function plannedOccurrence(
  identity: Pick<NewOccurrence, 'occurrenceId' | 'userId' | 'correlationId'>,
  plan: OccurrencePlan,
): Occurrence {
  const { plannedAt, ...planned } = plan;
  return {
    occurrenceId: identity.occurrenceId,
    userId: identity.userId,
    ...(identity.correlationId === undefined ? {} : { correlationId: identity.correlationId }),
    ...planned,
    status: 'queued',
    attempts: 0,
    deferrals: 0,
    attemptSequence: 0,
    nextAttemptAt: plannedAt,
    createdAt: plannedAt,
    updatedAt: plannedAt,
    enqueuedAt: plannedAt,
    fromPlan: true,
    version: 0,
  };
}

/** Whether an occurrence is only a plan (ADR 0010): its first write creates it. */
export const isPlanned = (occurrence: Occurrence): boolean => occurrence.version === 0;

const next = (occurrence: Occurrence, now: number, changes: Partial<Occurrence>): Occurrence => ({
  ...occurrence,
  ...changes,
  updatedAt: now,
  version: occurrence.version + 1,
});

/** Why a message cannot be worked on now; the worker answers each differently. */
export type NotWorkable =
  | { reason: 'final' }
  | { reason: 'cancelled' }
  | { reason: 'not-yet'; at: number }
  | { reason: 'leased'; until: number };

/** Whether the worker may claim it now; otherwise why not. */
export function workability(occurrence: Occurrence, now: number): NotWorkable | undefined {
  if (FINAL_STATUSES.has(occurrence.status)) return { reason: 'final' };
  if (occurrence.status === 'cancelled') return { reason: 'cancelled' };
  if (occurrence.status === 'sending' && (occurrence.leaseUntil ?? 0) > now) {
    return { reason: 'leased', until: occurrence.leaseUntil ?? now };
  }
  const notBefore = Math.max(occurrence.nextAttemptAt, occurrence.scheduledFor);
  if (notBefore > now) return { reason: 'not-yet', at: notBefore };
  return undefined;
}

/** Taking the occurrence for one attempt; an expired lease of a crashed worker is taken over. */
export function claim(occurrence: Occurrence, owner: string, now: number, leaseMs: number): Occurrence {
  return next(occurrence, now, {
    status: 'sending',
    leaseOwner: owner,
    leaseUntil: now + leaseMs,
    // Stored and not final means watched, except during a plan's first attempt (ADR 0010: its
    // message stays on the queue meanwhile). Claimed again without a watch (that attempt's worker
    // died and its message came back), it is watched from here on, in case this one goes too.
    ...(occurrence.watchAt === undefined && !isPlanned(occurrence)
      ? { watchAt: now + leaseMs + WATCH_GRACE_MS }
      : {}),
  });
}

/**
 * Whether an occurrence whose user or event is gone leaves no record (ADR 0010): created by a
 * plan's claim and never POSTed, it is the only trace of the notification, and its user may have
 * been erased after the erasure looked for it.
 */
export const discardable = (occurrence: Occurrence): boolean =>
  occurrence.fromPlan === true && occurrence.attemptSequence === 0 && occurrence.firstAttempt === undefined;

/**
 * A POST was made under the claim: it gets the next number of the attempt log. Not a stored
 * transition by itself; the state that concludes the attempt carries it. (An open circuit makes
 * no POST and so takes no number.)
 */
export function countAttempt(claimed: Occurrence): Occurrence {
  return { ...claimed, attemptSequence: claimed.attemptSequence + 1 };
}

const releaseLease = { leaseOwner: undefined, leaseUntil: undefined } as const;
/** Final and cancelled occurrences leave the watch index. */
const unwatched = { watchAt: undefined } as const;

/** Delivered; `firstAttempt` is the POST that did it when it was the first (see keepsOnOccurrence). */
export function markDelivered(occurrence: Occurrence, now: number, firstAttempt?: KeptAttempt): Occurrence {
  return next(occurrence, now, {
    ...releaseLease,
    ...unwatched,
    status: 'delivered',
    deliveredAt: now,
    lastError: undefined,
    ...(firstAttempt ? { firstAttempt } : {}),
  });
}

export function markFailed(occurrence: Occurrence, now: number, error: string, used: boolean): Occurrence {
  return next(occurrence, now, {
    ...releaseLease,
    ...unwatched,
    status: 'failed',
    attempts: occurrence.attempts + (used ? 1 : 0),
    lastError: error,
  });
}

/** A retry that uses the budget (5xx, timeout, connection error). */
export function scheduleRetry(occurrence: Occurrence, now: number, at: number, error: string): Occurrence {
  return next(occurrence, now, {
    ...releaseLease,
    status: 'retrying',
    attempts: occurrence.attempts + 1,
    nextAttemptAt: at,
    watchAt: at + WATCH_GRACE_MS,
    lastError: error,
  });
}

/** A wait that does not use the budget (429, open circuit). */
export function defer(occurrence: Occurrence, now: number, at: number, error: string): Occurrence {
  return next(occurrence, now, {
    ...releaseLease,
    status: occurrence.attempts > 0 ? 'retrying' : 'queued',
    deferrals: occurrence.deferrals + 1,
    nextAttemptAt: at,
    watchAt: at + WATCH_GRACE_MS,
    lastError: error,
  });
}

export function cancel(occurrence: Occurrence, now: number, reason: string): Occurrence {
  return next(occurrence, now, { ...releaseLease, ...unwatched, status: 'cancelled', statusReason: reason });
}

/**
 * An undelivered occurrence whose local date comes round again under the user's new schedule
 * (e.g. the zone moved west before the old one was delivered, or it was cancelled as stale):
 * it starts afresh under the new schedule, with a whole retry budget.
 */
export function reschedule(occurrence: Occurrence, input: NewOccurrence, now: number): Occurrence {
  return next(occurrence, now, {
    ...input,
    status: 'queued',
    statusReason: undefined,
    lastError: undefined,
    attempts: 0,
    deferrals: 0,
    rescues: 0,
    leaseOwner: undefined,
    leaseUntil: undefined,
    nextAttemptAt: now,
    enqueuedAt: now,
    watchAt: now + WATCH_GRACE_MS,
  });
}

/**
 * The scheduler hands an occurrence to the queue again: a previous pass died before sending
 * (`rescued` false), or its message was lost and it was found past `watchAt` (`rescued` true:
 * the next look backs off, doubling from 15 minutes up to a day). A wait it was already given
 * (a deferral's `nextAttemptAt`) is kept.
 */
export function markReenqueued(occurrence: Occurrence, now: number, rescued = false): Occurrence {
  const rescues = (occurrence.rescues ?? 0) + (rescued ? 1 : 0);
  const backoff = Math.min(MAX_WATCH_BACKOFF_MS, WATCH_GRACE_MS * 2 ** rescues);
  return next(occurrence, now, {
    enqueuedAt: now,
    rescues,
    watchAt: Math.max(now, occurrence.nextAttemptAt) + backoff,
  });
}

/**
 * The pass that queued it could not hand its message to the queue (SQS refused or was
 * unreachable): the watch index sends it at `at`, soon, instead of a whole grace period later.
 */
export function markUnsent(occurrence: Occurrence, now: number, at: number): Occurrence {
  return next(occurrence, now, { watchAt: at });
}

/** One POST, as kept in the attempt log. */
export interface AttemptRecord {
  occurrenceId: string;
  sequence: number;
  at: number;
  durationMs: number;
  outcome: 'delivered' | 'retryable' | 'rate-limited' | 'permanent';
  statusCode?: number;
  error?: string;
  responseSnippet?: string;
  /** What made the POST: the schedule (and its retries), an admin's manual send, or a replay. */
  trigger: AttemptTrigger;
}

export type AttemptTrigger = 'scheduled' | 'manual' | 'replay';

/** An attempt kept on its occurrence: the occurrence's id is its key already. */
export type KeptAttempt = Omit<AttemptRecord, 'occurrenceId'>;

/**
 * Whether an attempt is kept on the occurrence's `delivered` write rather than in an item of its
 * own: only the first POST, when it delivered. Sequence 1 happens once per occurrence (replays,
 * redrives and reschedules go on counting), so a later delivery can never overwrite it.
 */
export const keepsOnOccurrence = (attempt: AttemptRecord): boolean =>
  attempt.outcome === 'delivered' && attempt.sequence === 1;

/** The record of a kept attempt, as the attempt log shows it. */
export const keptAttemptRecord = (occurrenceId: string, kept: KeptAttempt): AttemptRecord => ({
  occurrenceId,
  ...kept,
});

/** Attempts recorded before the trigger existed were all scheduled ones. */
export const triggerOf = (attempt: { trigger?: AttemptTrigger }): AttemptTrigger =>
  attempt.trigger ?? 'scheduled';

/** Why a failed occurrence is workable again; also what the log shows until the next attempt. */
export const REDRIVEN_REASON = 'redriven from the dead-letter queue';

/**
 * An admin moves a failed occurrence's message from the dead-letter queue back to the main
 * queue: it becomes workable again, queued now with a whole retry budget, and watched, so a
 * redriven message that gets lost is still found by the scheduler. Only `failed` occurrences
 * move; any other status is returned unchanged (the caller decides what that means).
 */
export function redrive(occurrence: Occurrence, now: number): Occurrence {
  if (occurrence.status !== 'failed') return occurrence;
  return next(occurrence, now, {
    ...releaseLease,
    status: 'queued',
    statusReason: REDRIVEN_REASON,
    attempts: 0,
    deferrals: 0,
    rescues: 0,
    nextAttemptAt: now,
    enqueuedAt: now,
    watchAt: now + WATCH_GRACE_MS,
  });
}

/**
 * An admin deleted the failed occurrence's message from the dead-letter queue: it stays
 * `failed` (nothing more is sent unless it is replayed), with a note saying so.
 */
export function noteDeadLetterDeleted(occurrence: Occurrence, now: number): Occurrence {
  return next(occurrence, now, { statusReason: 'dead-letter message deleted by an admin' });
}

/** Why a replay leaves an occurrence as it is; the job counts each reason. */
export type NotReplayable =
  /** Queued, sending or retrying: already on its way. */
  | 'in-flight'
  /** Delivered, and the replay is not forced. */
  | 'delivered'
  /** This same job queued it again already (a rerun or a resumed page). */
  | 'already-replayed';

/**
 * A replay job queues a final or cancelled occurrence again (CONTRACT section 4: skipped and
 * failed ones can be replayed; delivered ones only when forced). Like a redrive it gets a whole
 * retry budget and is watched, so a lost message is still found by the scheduler; `replayedBy`
 * records the job, so the job never queues it twice. The webhook-id stays the occurrence id.
 * Returns why not instead of a new state when it must stay as it is.
 */
export function replay(
  occurrence: Occurrence,
  now: number,
  job: { jobId: string; force: boolean },
): Occurrence | NotReplayable {
  if (occurrence.replayedBy === job.jobId) return 'already-replayed';
  const { status } = occurrence;
  if (status === 'queued' || status === 'sending' || status === 'retrying') return 'in-flight';
  if (status === 'delivered' && !job.force) return 'delivered';
  return next(occurrence, now, {
    ...releaseLease,
    status: 'queued',
    statusReason: `replayed by ${job.jobId}`,
    attempts: 0,
    deferrals: 0,
    rescues: 0,
    nextAttemptAt: now,
    enqueuedAt: now,
    watchAt: now + WATCH_GRACE_MS,
    replayedBy: job.jobId,
  });
}
