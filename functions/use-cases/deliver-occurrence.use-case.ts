import { randomUUID } from 'node:crypto';
import type { Clock } from '#commons/clock';
import {
  cancel,
  claim,
  countAttempt,
  defer,
  markDelivered,
  markFailed,
  scheduleRetry,
  workability,
  type AttemptRecord,
  type Occurrence,
} from '#domain/occurrence';
import { deferralDelayMs, retryDelayMs, type RetryPolicy } from '#domain/retry-policy';
import { BIRTHDAY_TEMPLATE, renderTemplate } from '#domain/template';
import { fullNameOf, scheduleFingerprintOf, type StoredUser } from '#domain/user';
import type { EndpointCircuitBreaker, GuardedOutcome } from '#ports/circuit-breaker';
import type { DomainEvent } from '#ports/event-publisher';
import type { NotificationMessage, NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserRepository } from '#ports/user-repository';
import type { WebhookSender } from '#ports/webhook-sender';

export interface DeliverySettings {
  webhookUrl: string;
  webhookSecret: string;
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

  constructor(private readonly deps: Dependencies) {
    this.random = deps.random ?? Math.random;
  }

  async handle(message: NotificationMessage, context: DeliveryContext): Promise<DeliveryResult> {
    const { clock, occurrences, users } = this.deps;
    const now = clock.now();
    const occurrence = await occurrences.get(message.occurrenceId);
    if (!occurrence) return { kind: 'ignored', reason: 'unknown occurrence' };

    const blocked = workability(occurrence, now);
    if (blocked?.reason === 'final' || blocked?.reason === 'cancelled') {
      return { kind: 'ignored', reason: `already ${occurrence.status}` };
    }
    if (blocked) {
      // Early (a duplicate of a delayed retry) or another worker holds it: look again later.
      const at = blocked.reason === 'not-yet' ? blocked.at : blocked.until + 1_000;
      return this.waitAndComeBack(message, at - now, blocked.reason);
    }

    // Re-check against the user as stored now: deleted, or a new birthday or zone, means stale.
    const user = await users.get(occurrence.userId);
    if (!user) return this.cancelStale(occurrence, 'user deleted', now, context.emit);
    if (scheduleFingerprintOf(user) !== occurrence.fingerprint) {
      return this.cancelStale(occurrence, 'birthday or time zone changed', now, context.emit);
    }

    const timeoutMs = Math.min(this.deps.settings.webhookTimeoutMs, context.remainingTimeMs() - 1_000);
    if (timeoutMs < this.deps.settings.minimumAttemptMs) throw new TryAgainLaterError('too little time left');

    const owner = randomUUID();
    const leaseMs = (timeoutMs + this.deps.settings.leaseMarginMs) * (this.deps.settings.timeScale ?? 1);
    const claimed = claim(occurrence, owner, now, leaseMs);
    if (!(await occurrences.save(claimed))) {
      // Lost the race to a concurrent copy of this message: it decides; look again after it.
      return this.waitAndComeBack(message, leaseMs + 1_000, 'leased');
    }

    const attemptAt = clock.now();
    const outcome = await this.attempt(claimed, user, attemptAt, timeoutMs, context.signal);
    if (outcome.kind === 'circuit-open') return this.conclude(claimed, message, outcome, context.emit);
    const attempted = countAttempt(claimed);
    const result = await this.conclude(attempted, message, outcome, context.emit);
    // Recorded after the status: a failure here must not lead to a second POST (the message
    // comes back, finds the status written, and is dropped or re-delayed).
    await occurrences.recordAttempt(attemptRecordOf(attempted, attemptAt, outcome));
    return result;
  }

  private async attempt(
    occurrence: Occurrence,
    user: StoredUser,
    attemptAt: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<GuardedOutcome> {
    const { settings } = this.deps;
    const body = JSON.stringify(webhookBody(occurrence, user, attemptAt));
    return this.deps.breaker.run(endpointKeyOf(settings.webhookUrl), () =>
      this.deps.sender.send({
        url: settings.webhookUrl,
        webhookId: occurrence.occurrenceId,
        timestampSeconds: Math.floor(attemptAt / 1000),
        body,
        secret: settings.webhookSecret,
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
  ): Promise<DeliveryResult> {
    const now = this.deps.clock.now();
    const policy = this.deps.settings.retryPolicy;
    switch (outcome.kind) {
      case 'delivered': {
        const delivered = markDelivered(claimed, now);
        await this.saveOwned(delivered);
        emit(domainEvent('NotificationDelivered', delivered, { statusCode: outcome.statusCode }));
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
  ): Promise<DeliveryResult> {
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

/** The webhook body of CONTRACT section 5. */
export function webhookBody(
  occurrence: Occurrence,
  user: StoredUser,
  attemptAt: number,
): Record<string, unknown> {
  const fullName = fullNameOf(user);
  return {
    type: occurrence.eventKey,
    timestamp: new Date(attemptAt).toISOString(),
    data: {
      userId: user.id,
      fullName,
      message: renderTemplate(BIRTHDAY_TEMPLATE, {
        firstName: user.firstName,
        lastName: user.lastName,
        fullName,
        date: occurrence.localDate,
        years: Number(occurrence.localDate.slice(0, 4)) - Number(user.birthday.slice(0, 4)),
      }),
      localDate: occurrence.localDate,
      timezone: occurrence.timezone,
      scheduledFor: new Date(occurrence.scheduledFor).toISOString(),
    },
  };
}

/** The circuit is per endpoint: scheme, host and port (paths on one host share its health). */
export function endpointKeyOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
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
    trigger: 'scheduled',
    ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
    ...('error' in outcome ? { error: outcome.error } : {}),
    ...(outcome.responseSnippet !== undefined ? { responseSnippet: outcome.responseSnippet } : {}),
  };
}
