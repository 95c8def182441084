import { randomUUID } from 'node:crypto';
import type { Clock } from '#commons/clock';
import {
  cancel,
  claim,
  discardable,
  FINAL_STATUSES,
  isPlanned,
  plannedOccurrence,
  reschedule,
  type NewOccurrence,
  countAttempt,
  keepsOnOccurrence,
  defer,
  markDelivered,
  markFailed,
  scheduleRetry,
  workability,
  type AttemptRecord,
  type KeptAttempt,
  type Occurrence,
} from '#domain/occurrence';
import { endpointKeyOf } from '#domain/endpoint-key';
import { CANCELLED_BY_ADMIN } from '#domain/notification-command';
import { deferralDelayMs, retryDelayMs, type RetryPolicy } from '#domain/retry-policy';
import { webhookTargetOf, type EventType, type PreviousWebhookSecret } from '#domain/event-type';
import { nextScheduled, scheduledInYear } from '#domain/schedule';
import { BIRTHDAY_TEMPLATE, renderTemplate } from '#domain/template';
import { fullNameOf, type StoredUser } from '#domain/user';
import {
  BIRTHDAY_EVENT_ID,
  birthdayTarget,
  eventTarget,
  isBirthday,
  occurrenceIdOf,
  ruleOf,
  suppressionOf,
  targetFingerprint,
  templateValuesOf,
  type ScheduledTarget,
} from '#domain/user-event';
import type { EndpointCircuitBreaker, GuardedOutcome } from '#ports/circuit-breaker';
import type { DomainEvent } from '#ports/event-publisher';
import { pointerOf, type NotificationMessage, type NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { UserRepository } from '#ports/user-repository';
import type { WebhookSender } from '#ports/webhook-sender';
import { EventTypeCatalog } from './event-type-catalog';

// Moved to #domain/endpoint-key (the CLI shares it); still exported from here for its importers.
export { endpointKeyOf };

export interface DeliverySettings {
  webhookUrl: string;
  webhookSecret: string;
  /**
   * The global secrets being rotated out (WEBHOOK_PREVIOUS_SECRET), each signing too until its
   * `expiresAt`; a type with a webhook of its own has its own (rotate-secret).
   */
  webhookPreviousSecrets?: readonly PreviousWebhookSecret[];
  /** Upper bound of one POST; further bounded by the invocation's remaining time. */
  webhookTimeoutMs: number;
  /** Below this much remaining time an attempt is not started (the message comes back). */
  minimumAttemptMs: number;
  retryPolicy: RetryPolicy;
  /** How long a claim protects an attempt in flight; longer than any attempt can take. */
  leaseMarginMs: number;
  /**
   * Clock milliseconds per real millisecond (1 in AWS). An attempt takes real time, so a
   * local clock running faster must stretch the lease, or it would expire mid-attempt.
   */
  timeScale?: number;
  /**
   * Emit `NotificationDelivered` for each delivery (PUBLISH_DELIVERED_EVENTS). Off by default:
   * one EventBridge event per notification is a third of its cost, and the delivery is on the
   * occurrence and in the `Delivered` metric anyway. Failed, cancelled, skipped and circuit
   * events are always emitted.
   */
  publishDelivered?: boolean;
}

/** What became of one message; the handler turns these into metrics. */
export type DeliveryResult =
  | { kind: 'delivered'; latenessMs: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'retry-scheduled'; inMs: number }
  | { kind: 'deferred'; inMs: number; reason: 'rate-limited' | 'circuit-open' | 'not-yet' | 'leased' }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'ignored'; reason: string };

interface Dependencies {
  clock: Clock;
  users: UserRepository;
  occurrences: OccurrenceRepository;
  queue: NotificationQueue;
  sender: WebhookSender;
  breaker: EndpointCircuitBreaker;
  settings: DeliverySettings;
  random?: () => number;
  /** Users' events other than birthdays; without it an event's occurrence counts as deleted. */
  userEvents?: UserEventRepository;
  /** Event types in effect; without it the built-in defaults. */
  eventTypes?: EventTypeCatalog;
}

/** What an occurrence is of, as stored now: the re-check's answer when it may go out. */
interface Current {
  user: StoredUser;
  target: ScheduledTarget;
  type: EventType;
}

export interface DeliveryContext {
  /** The invocation's remaining time at the start of this message, in ms. */
  remainingTimeMs: () => number;
  signal?: AbortSignal;
  /** Receives the domain events of this delivery; the handler publishes them in batches. */
  emit: (event: DomainEvent) => void;
}

/** Thrown when the message must come back later through SQS (visibility timeout). */
export class TryAgainLaterError extends Error {
  override readonly name = 'TryAgainLaterError';
}

/**
 * Delivers one occurrence (DESIGN core ideas 2-6): re-check it against the user as stored now,
 * claim it with a conditional write, POST it through the endpoint's shared circuit breaker,
 * record the attempt, and decide what comes next. Waits are new delayed messages, so SQS's
 * receive count (and with it the DLQ redrive) only counts crashes, never retries or deferrals.
 */
export class DeliverOccurrence {
  private readonly random: () => number;
  private readonly catalog: EventTypeCatalog;

  constructor(private readonly deps: Dependencies) {
    this.random = deps.random ?? Math.random;
    this.catalog = deps.eventTypes ?? new EventTypeCatalog(undefined);
  }

  async handle(message: NotificationMessage, context: DeliveryContext): Promise<DeliveryResult> {
    const { clock } = this.deps;
    const now = clock.now();
    // A scheduler's plan (ADR 0010) is not stored yet: no read, the claim below creates it.
    const occurrence = message.plan
      ? plannedOccurrence(message, message.plan)
      : await this.load(message.occurrenceId, now);
    if (!occurrence) return { kind: 'ignored', reason: 'unknown occurrence' };
    return this.work(message, occurrence, now, context);
  }

  private async work(
    message: NotificationMessage,
    occurrence: Occurrence,
    now: number,
    context: DeliveryContext,
  ): Promise<DeliveryResult> {
    const { clock, occurrences } = this.deps;
    const blocked = workability(occurrence, now);
    if (blocked?.reason === 'final' || blocked?.reason === 'cancelled') {
      return { kind: 'ignored', reason: `already ${occurrence.status}` };
    }
    if (blocked) {
      // Early (a duplicate of a delayed retry) or another worker holds it: look again later.
      const at = blocked.reason === 'not-yet' ? blocked.at : blocked.until + 1_000;
      return this.waitAndComeBack(message, at - now, blocked.reason);
    }

    const timeoutMs = (): number => {
      const ms = Math.min(this.deps.settings.webhookTimeoutMs, context.remainingTimeMs() - 1_000);
      if (ms < this.deps.settings.minimumAttemptMs) throw new TryAgainLaterError('too little time left');
      return ms;
    };
    const leaseOf = (ms: number): number =>
      (ms + this.deps.settings.leaseMarginMs) * (this.deps.settings.timeScale ?? 1);

    let claimed: Occurrence;
    let current: Current;
    let attemptTimeoutMs: number;
    if (isPlanned(occurrence)) {
      // A plan is claimed first and re-checked after (ADR 0010): its claim creates it, and an
      // erasure deletes what its index shows. Re-checked before, a user erased between the read
      // and the create would still get the POST and a record; re-checked after, the erasure
      // either came first (the read finds no user: the record is discarded) or finds the claim
      // under its lease (and answers that an attempt is in flight).
      attemptTimeoutMs = timeoutMs();
      claimed = claim(occurrence, randomUUID(), now, leaseOf(attemptTimeoutMs));
      if (!(await occurrences.save(claimed))) return this.meetStored(message, occurrence, context);
      const checked = await this.recheck(claimed, now, context.emit);
      if (checked.kind !== 'current') return checked;
      current = checked;
    } else {
      // Re-check against the user, the event and its type as stored now (DESIGN core idea 3).
      const checked = await this.recheck(occurrence, now, context.emit);
      if (checked.kind !== 'current') return checked;
      current = checked;
      attemptTimeoutMs = timeoutMs();
      const leaseMs = leaseOf(attemptTimeoutMs);
      claimed = claim(occurrence, randomUUID(), now, leaseMs);
      // Lost the race to a concurrent copy of this message: it decides; look again after it.
      if (!(await occurrences.save(claimed))) return this.waitAndComeBack(message, leaseMs + 1_000, 'leased');
    }
    const { user, target, type } = current;
    // Stored now: whatever comes back to the queue from here points at it.
    const stored = pointerOf(message);
    // A plan's re-check ran after its timeout was set: the POST must still end a second before
    // the invocation does (or a timeout mid-POST could repeat it). Too little left: the message
    // comes back, and after the lease the claim is taken over.
    const postTimeoutMs = Math.min(attemptTimeoutMs, timeoutMs());

    const attemptAt = clock.now();
    const outcome = await this.attempt(
      claimed,
      { user, target, type },
      attemptAt,
      postTimeoutMs,
      context.signal,
    );
    if (outcome.kind === 'circuit-open') return this.conclude(claimed, stored, outcome, context.emit);
    const attempted = countAttempt(claimed);
    const record = attemptRecordOf(attempted, attemptAt, outcome);
    // A first POST that delivered is written with the `delivered` status itself: no item of its own.
    const kept = keepsOnOccurrence(record) ? record : undefined;
    const result = await this.conclude(attempted, stored, outcome, context.emit, kept);
    // Recorded after the status: a failure here must not lead to a second POST (the message
    // comes back, finds the status written, and is dropped or re-delayed).
    if (!kept) await occurrences.recordAttempt(record);
    return result;
  }

  /**
   * A plan whose occurrence turned out to be stored already (its create failed). Mostly a copy
   * of this message or a second pass's got there first, or this very plan is back after its
   * worker died: the stored one is worked on as any message pointing at it would (the claim is
   * on its version: a copy cannot make a second POST, and one that meets it in flight comes back
   * after the lease instead of being dropped, so nothing rests on which message is whose). But it
   * may be an occurrence of the same local date from an earlier schedule: the zone moved west
   * before it was delivered, or it was cancelled as stale and the entry came back to that date.
   * That one starts afresh under the plan, as the scheduler's decideExisting has it, only when
   * the re-check finds the plan current: a stale plan must never overwrite the occurrence of the
   * schedule that replaced it. A final one and an admin's cancel stay as they are (at most one
   * per user, event and local date).
   */
  private async meetStored(
    message: NotificationMessage,
    planned: Occurrence,
    context: DeliveryContext,
  ): Promise<DeliveryResult> {
    const { clock, occurrences } = this.deps;
    const pointer = pointerOf(message);
    const now = clock.now();
    const stored = await occurrences.get(planned.occurrenceId);
    if (!stored) return { kind: 'ignored', reason: 'unknown occurrence' };
    const outdated =
      !FINAL_STATUSES.has(stored.status) &&
      (stored.status === 'cancelled'
        ? stored.statusReason !== CANCELLED_BY_ADMIN
        : stored.fingerprint !== planned.fingerprint);
    if (!outdated) return this.work(pointer, stored, now, context);
    // Only under a plan the re-check finds current (reads only: nothing of the plan is stored).
    if ((await this.verdictOf(planned, now)).kind !== 'current')
      return this.work(pointer, stored, now, context);
    if (stored.status === 'sending' && (stored.leaseUntil ?? 0) > now) {
      return this.waitAndComeBack(message, (stored.leaseUntil ?? now) - now + 1_000, 'leased');
    }
    const restarted = reschedule(stored, newOccurrenceOf(planned), now);
    if (!(await occurrences.save(restarted))) return this.waitAndComeBack(message, 1_000, 'leased');
    return this.work(pointer, restarted, now, context);
  }

  /**
   * The occurrence, read eventually consistently (half the price of a consistent read). A stale
   * copy cannot lead to a second POST: the claim is a conditional write on the `version` read
   * here, so a copy that missed a later write (a claim, a delivery, a cancel) fails the claim
   * and the message only comes back later. What a stale copy could do is drop the message: an
   * occurrence created a moment ago that is not found yet, or a final or cancelled one that a
   * replay, redrive or reschedule has just queued again. So every answer that would drop the
   * message is confirmed with a strongly consistent read first.
   */
  private async load(occurrenceId: string, now: number): Promise<Occurrence | undefined> {
    const { occurrences } = this.deps;
    const read = await occurrences.get(occurrenceId, { consistent: false });
    const reason = read ? workability(read, now)?.reason : undefined;
    if (read && reason !== 'final' && reason !== 'cancelled') return read;
    return occurrences.get(occurrenceId);
  }

  /**
   * The occurrence against what is stored now, and the writes that follow: put back on its next
   * occurrence after a send time or leap policy change (first: guarded, so a repeat after a
   * failure is harmless, and a saved cancel is not left without it), and cancelled (with the
   * reason) when it is stale (see verdictOf). One whose user or event is gone and that a plan's
   * claim created and never POSTed (`discardable`) is deleted instead: a cancel would keep a
   * record of a user deleted or erased meanwhile, whichever attempt finds it.
   */
  private async recheck(
    occurrence: Occurrence,
    now: number,
    emit: Emit,
  ): Promise<(Current & { kind: 'current' }) | Extract<DeliveryResult, { kind: 'cancelled' | 'ignored' }>> {
    const verdict = await this.verdictOf(occurrence, now);
    if (verdict.kind === 'current') return verdict;
    const gone = verdict.reason === 'user deleted' || verdict.reason === 'event deleted';
    if (gone && discardable(occurrence)) {
      await this.deps.occurrences.discard(occurrence);
      return { kind: 'ignored', reason: verdict.reason };
    }
    const { rewind } = verdict;
    if (rewind) await this.rewind(rewind.target, rewind.user, rewind.type, now);
    return this.cancelStale(occurrence, verdict.reason, now, emit);
  }

  /**
   * Reads only. Stale (with the reason) when the user or the event is gone, the type deleted or
   * disabled, the user opted out, or the schedule it was built from changed (date, zone, send
   * time, leap policy: the fingerprint). A manual send is an admin's explicit request: only a
   * deleted user, event or type stops it.
   */
  private async verdictOf(
    occurrence: Occurrence,
    now: number,
  ): Promise<(Current & { kind: 'current' }) | { kind: 'stale'; reason: string; rewind?: Current }> {
    const stale = (reason: string) => ({ kind: 'stale' as const, reason });
    // Strongly consistent, unlike the occurrence: the claim is conditional on the occurrence's
    // version only, so nothing would catch a stale user (one deleted, opted out or moved to
    // another date a moment ago) and the notification would go out (CONTRACT section 4).
    const user = await this.deps.users.get(occurrence.userId);
    if (!user) return stale('user deleted');
    let target = birthdayTarget(user);
    if (occurrence.eventId !== undefined && occurrence.eventId !== BIRTHDAY_EVENT_ID) {
      const event = await this.deps.userEvents?.get(user.id, occurrence.eventId);
      if (!event) return stale('event deleted');
      target = eventTarget(event);
    }
    const type = await this.catalog.get(occurrence.eventKey);
    if (!type) return stale('event type deleted');
    if (occurrence.manual) return { kind: 'current', user, target, type };
    const suppressed = suppressionOf(user, type);
    if (suppressed) return stale(suppressed);
    if (targetFingerprint(target, user, type) !== occurrence.fingerprint) {
      const sameDateAndZone =
        occurrence.fingerprint.split('|').slice(0, 2).join('|') === `${target.date}|${user.timezone}`;
      if (!sameDateAndZone) {
        // The API rescheduled the entry when it changed the date or zone: cancelling is all.
        return stale(
          isBirthday(target) ? 'birthday or time zone changed' : 'event date or time zone changed',
        );
      }
      // Same date under the new rule and already due by it: the day's notification is owed
      // now (moving the send time must not cost the user this year's message).
      const underNewRule = scheduledInYear(
        ruleOf(target, user, type),
        Number(occurrence.localDate.slice(0, 4)),
      );
      if (underNewRule?.localDate === occurrence.localDate && underNewRule.dueAt <= now) {
        return { kind: 'current', user, target, type };
      }
      return { ...stale('send time or leap policy changed'), rewind: { user, target, type } };
    }
    return { kind: 'current', user, target, type };
  }

  /**
   * A send time or leap policy changed while this occurrence waited in the queue. A change of
   * the user's preference rescheduled the entry already; a change of the type did not (no write
   * reaches every event of a type), and the scheduler has moved the entry on to next year. Put
   * it back where an edit would have: the next occurrence under the current rule, unless that
   * one was delivered already. The scheduler no longer rewrites an entry it handled when next
   * year's falls on the same slot (ADR 0009), so the stored anchor may be this occurrence or one
   * of a past year: rewindSchedule writes it if the item is still at the version or the anchor
   * read here (an edit that kept the schedule), or if its anchor is later than `next` (moved on in
   * between); an API edit since then that rescheduled it wins otherwise.
   */
  private async rewind(
    target: ScheduledTarget,
    user: StoredUser,
    type: EventType,
    now: number,
  ): Promise<void> {
    const next = nextScheduled(ruleOf(target, user, type), now);
    if (!next) return;
    const existing = await this.deps.occurrences.get(occurrenceIdOf(target, next.localDate));
    if (existing && FINAL_STATUSES.has(existing.status)) return;
    const guard = {
      readVersion: target.version,
      writtenAt: now,
      ...(target.schedule ? { readDueAt: target.schedule.dueAt } : {}),
    };
    if (isBirthday(target)) await this.deps.users.rewindSchedule(target.userId, next, guard);
    else await this.deps.userEvents?.rewindSchedule(target.userId, target.eventId, next, guard);
  }

  private async attempt(
    occurrence: Occurrence,
    current: Current,
    attemptAt: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<GuardedOutcome> {
    const { settings } = this.deps;
    const webhook = webhookTargetOf(current.type, {
      url: settings.webhookUrl,
      secret: settings.webhookSecret,
      ...(settings.webhookPreviousSecrets ? { previousSecrets: settings.webhookPreviousSecrets } : {}),
    });
    const body = JSON.stringify(
      webhookBody(occurrence, current.user, attemptAt, {
        template: current.type.template,
        eventDate: current.target.date,
      }),
    );
    return this.deps.breaker.run(endpointKeyOf(webhook.url), () =>
      this.deps.sender.send({
        url: webhook.url,
        webhookId: occurrence.occurrenceId,
        timestampSeconds: Math.floor(attemptAt / 1000),
        body,
        secret: webhook.secret,
        ...(webhook.previousSecrets ? { previousSecrets: webhook.previousSecrets } : {}),
        timeoutMs,
        ...(signal ? { signal } : {}),
      }),
    );
  }

  private async conclude(
    claimed: Occurrence,
    message: NotificationMessage,
    outcome: GuardedOutcome,
    emit: Emit,
    firstAttempt?: AttemptRecord,
  ): Promise<DeliveryResult> {
    const now = this.deps.clock.now();
    const policy = this.deps.settings.retryPolicy;
    switch (outcome.kind) {
      case 'delivered': {
        const kept = firstAttempt ? withoutOccurrenceId(firstAttempt) : undefined;
        const delivered = markDelivered(claimed, now, kept);
        await this.saveOwned(delivered);
        if (this.deps.settings.publishDelivered === true) {
          emit(domainEvent('NotificationDelivered', delivered, { statusCode: outcome.statusCode }));
        }
        return { kind: 'delivered', latenessMs: now - claimed.scheduledFor };
      }
      case 'permanent':
        return this.fail(claimed, message, `HTTP ${outcome.statusCode}: ${outcome.error}`, emit);
      case 'retryable': {
        const delay = retryDelayMs(policy, claimed.attempts + 1, this.random, outcome.retryAfterSeconds);
        if (delay === undefined)
          return this.fail(claimed, message, `retries exhausted: ${outcome.error}`, emit);
        await this.saveOwned(scheduleRetry(claimed, now, now + delay, outcome.error));
        await this.deps.queue.enqueueDelayed(message, delay / 1000);
        return { kind: 'retry-scheduled', inMs: delay };
      }
      case 'rate-limited': {
        const delay = deferralDelayMs(policy, this.random, outcome.retryAfterSeconds);
        await this.saveOwned(defer(claimed, now, now + delay, 'HTTP 429'));
        await this.deps.queue.enqueueDelayed(message, delay / 1000);
        return { kind: 'deferred', inMs: delay, reason: 'rate-limited' };
      }
      case 'circuit-open': {
        const delay = Math.max(1_000, outcome.retryAt - now);
        await this.saveOwned(defer(claimed, now, now + delay, 'circuit open'));
        await this.deps.queue.enqueueDelayed(message, delay / 1000);
        return { kind: 'deferred', inMs: delay, reason: 'circuit-open' };
      }
    }
  }

  private async fail(
    claimed: Occurrence,
    message: NotificationMessage,
    reason: string,
    emit: Emit,
  ): Promise<DeliveryResult> {
    const failed = markFailed(claimed, this.deps.clock.now(), reason, true);
    // The DLQ first: should the status write fail, the message comes back and tries both again;
    // the other way round, a failed DLQ send would leave a `failed` status with nothing parked.
    await this.deps.queue.sendToDeadLetter(message, reason);
    await this.saveOwned(failed);
    emit(domainEvent('NotificationFailed', failed, { reason }));
    return { kind: 'failed', reason };
  }

  private async cancelStale(
    occurrence: Occurrence,
    reason: string,
    now: number,
    emit: Emit,
  ): Promise<Extract<DeliveryResult, { kind: 'cancelled' }>> {
    const cancelled = cancel(occurrence, now, reason);
    if (await this.deps.occurrences.save(cancelled)) {
      emit(domainEvent('NotificationCancelled', cancelled, { reason }));
    }
    return { kind: 'cancelled', reason };
  }

  private async waitAndComeBack(
    message: NotificationMessage,
    waitMs: number,
    reason: 'not-yet' | 'leased',
  ): Promise<DeliveryResult> {
    const inMs = Math.max(1_000, waitMs);
    await this.deps.queue.enqueueDelayed(message, inMs / 1000);
    return { kind: 'deferred', inMs, reason };
  }

  /** Writes a state this worker reached while holding the claim; losing it means a bug or a lost lease. */
  private async saveOwned(occurrence: Occurrence): Promise<void> {
    if (!(await this.deps.occurrences.save(occurrence))) {
      throw new TryAgainLaterError(`occurrence ${occurrence.occurrenceId} changed while claimed`);
    }
  }
}

type Emit = (event: DomainEvent) => void;

function domainEvent(
  type: DomainEvent['type'],
  occurrence: Occurrence,
  extra: Record<string, unknown>,
): DomainEvent {
  return {
    type,
    at: occurrence.updatedAt,
    detail: {
      occurrenceId: occurrence.occurrenceId,
      userId: occurrence.userId,
      eventKey: occurrence.eventKey,
      localDate: occurrence.localDate,
      scheduledFor: new Date(occurrence.scheduledFor).toISOString(),
      attempts: occurrence.attempts,
      ...extra,
    },
  };
}

/**
 * The webhook body of CONTRACT section 5: `type` is the event type's key, `data.message` the
 * type's template rendered for this user and date. A birthday's body is exactly the contract's;
 * other events add `eventId` and `years`, a manual send adds `manual: true`.
 */
export function webhookBody(
  occurrence: Occurrence,
  user: StoredUser,
  attemptAt: number,
  options: { template?: string; eventDate?: string } = {},
): Record<string, unknown> {
  const fullName = fullNameOf(user);
  const values = templateValuesOf(user, { date: options.eventDate ?? user.birthday }, occurrence.localDate);
  const ofEvent = occurrence.eventId !== undefined && occurrence.eventId !== BIRTHDAY_EVENT_ID;
  return {
    type: occurrence.eventKey,
    timestamp: new Date(attemptAt).toISOString(),
    data: {
      userId: user.id,
      fullName,
      message: renderTemplate(options.template ?? BIRTHDAY_TEMPLATE, values),
      localDate: occurrence.localDate,
      timezone: occurrence.timezone,
      scheduledFor: new Date(occurrence.scheduledFor).toISOString(),
      ...(ofEvent ? { eventId: occurrence.eventId, years: values.years } : {}),
      ...(occurrence.manual ? { manual: true } : {}),
    },
  };
}

/** What a planned occurrence is of, for a stored one of its date that starts afresh under it. */
function newOccurrenceOf(planned: Occurrence): NewOccurrence {
  const { occurrenceId, userId, eventKey, localDate, timezone, scheduledFor, fingerprint } = planned;
  return {
    occurrenceId,
    userId,
    eventKey,
    localDate,
    timezone,
    scheduledFor,
    fingerprint,
    ...(planned.correlationId === undefined ? {} : { correlationId: planned.correlationId }),
    ...(planned.eventId === undefined ? {} : { eventId: planned.eventId }),
  };
}

function withoutOccurrenceId(attempt: AttemptRecord): KeptAttempt {
  const { occurrenceId: _id, ...kept } = attempt;
  return kept;
}

function attemptRecordOf(
  occurrence: Occurrence,
  at: number,
  outcome: Exclude<GuardedOutcome, { kind: 'circuit-open' }>,
): AttemptRecord {
  return {
    occurrenceId: occurrence.occurrenceId,
    sequence: occurrence.attemptSequence,
    at,
    durationMs: Math.round(outcome.durationMs),
    outcome: outcome.kind,
    // A replayed occurrence is attempted again only because of the replay (and its retries).
    trigger: occurrence.manual ? 'manual' : occurrence.replayedBy !== undefined ? 'replay' : 'scheduled',
    ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
    ...('error' in outcome ? { error: outcome.error } : {}),
    ...(outcome.responseSnippet !== undefined ? { responseSnippet: outcome.responseSnippet } : {}),
  };
}
