import type { Clock } from '#commons/clock';
import { NotFoundError } from '#commons/errors';
import { adminCancel } from '#domain/notification-command';
import {
  noteDeadLetterDeleted,
  plannedOccurrence,
  redrive,
  type Occurrence,
  type OccurrenceStatus,
} from '#domain/occurrence';
import type { DeadLetter, DeadLetterQueue, HeldDeadLetter } from '#ports/dead-letter-queue';
import type { NotificationMessage } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserRepository } from '#ports/user-repository';
import { mapLimited } from './concurrency';

/** Most messages one `{"all": true}` redrive moves; the answer says how many remain. */
export const MAX_REDRIVE_ALL = 500;
/** Most messages read to find the ones named by id (a redrive or a delete). */
export const MAX_SCAN = 1_000;
/** Conditional-write retries when the occurrence changes under a redrive. */
const MAX_TRANSITION_ATTEMPTS = 3;
const CONCURRENCY = 8;

/** A dead letter with the current status of its notification. */
export interface DeadLetterView extends DeadLetter {
  /**
   * undefined when the body is not a notification, its occurrence no longer exists, or it is a
   * scheduler's plan that no worker claimed yet (ADR 0010).
   */
  notificationStatus?: OccurrenceStatus;
}

/**
 * What became of one message of a redrive, HTTP-like: 200 redriven (moved to the main queue;
 * a failed notification is queued again with a fresh retry budget), 404 not in the DLQ, 409 its
 * notification is delivered, skipped or cancelled (nothing to redrive; left in the DLQ, delete
 * it), 422 not a notification message, or one whose notification no longer exists (left).
 */
export interface RedriveResult {
  messageId: string;
  status: 200 | 404 | 409 | 422;
  outcome: 'redriven' | 'not-found' | 'already-final' | 'unreadable';
  occurrenceId?: string;
  /** The notification's status after the redrive. */
  notificationStatus?: OccurrenceStatus;
  detail: string;
}

export type RedriveSelection = { all: true } | { messageIds: readonly string[] };

/**
 * The operator's view of the notifications DLQ (DESIGN: statuses stay consistent with what
 * happens). Listing holds messages briefly and releases them, so nothing is lost; a redrive
 * makes the notification workable again (a domain transition on the occurrence) before moving
 * its message, so the worker delivers it once; a delete leaves the notification `failed`.
 */
export class ManageDeadLetters {
  constructor(
    private readonly deps: {
      dlq: DeadLetterQueue;
      occurrences: Pick<OccurrenceRepository, 'get' | 'save'>;
      /** To tell whether a deleted plan's user still exists (see noteDeleted). */
      users: Pick<UserRepository, 'get'>;
      clock: Clock;
    },
  ) {}

  /** Up to `limit` messages with their notifications' status; every one stays in the queue. */
  async list(limit: number): Promise<{ items: DeadLetterView[]; approximateCount: number }> {
    const held = await this.deps.dlq.hold(limit);
    try {
      const items = await mapLimited(held, CONCURRENCY, (letter) => this.view(letter));
      return { items, approximateCount: await this.deps.dlq.approximateCount() };
    } finally {
      await this.deps.dlq.release(held);
    }
  }

  /** One result per message named (in that order), or per message moved for `all`. */
  async redrive(selection: RedriveSelection): Promise<{ results: RedriveResult[]; remaining: number }> {
    const wanted = 'all' in selection ? undefined : new Set(selection.messageIds);
    const held = await this.deps.dlq.hold(wanted ? MAX_SCAN : MAX_REDRIVE_ALL, (letters) =>
      wanted ? [...wanted].every((id) => letters.some((letter) => letter.messageId === id)) : false,
    );
    const chosen = wanted ? held.filter((letter) => wanted.has(letter.messageId)) : held;
    const handled = new Set<string>();
    let results: RedriveResult[];
    try {
      results = await mapLimited(chosen, CONCURRENCY, async (letter) => {
        const result = await this.redriveOne(letter);
        if (result.status === 200) handled.add(letter.messageId);
        return result;
      });
    } finally {
      await this.deps.dlq.release(held.filter((letter) => !handled.has(letter.messageId)));
    }
    if (wanted) {
      const byId = new Map(results.map((result) => [result.messageId, result]));
      results = [...wanted].map(
        (messageId) =>
          byId.get(messageId) ?? {
            messageId,
            status: 404,
            outcome: 'not-found',
            detail: 'no such message in the dead-letter queue',
          },
      );
    }
    return { results, remaining: await this.deps.dlq.approximateCount() };
  }

  /**
   * Deletes one message for good; its notification stays `failed`, with a note.
   * @throws NotFoundError when no such message is in the queue
   */
  async delete(messageId: string): Promise<DeadLetterView> {
    const held = await this.deps.dlq.hold(MAX_SCAN, (letters) =>
      letters.some((letter) => letter.messageId === messageId),
    );
    const letter = held.find((candidate) => candidate.messageId === messageId);
    try {
      if (!letter) throw new NotFoundError('dead-letter message', messageId);
      const before = await this.view(letter);
      await this.deps.dlq.remove(letter);
      if (letter.message) await this.noteDeleted(letter.message);
      return before;
    } finally {
      await this.deps.dlq.release(held.filter((candidate) => candidate !== letter));
    }
  }

  private async view(letter: HeldDeadLetter): Promise<DeadLetterView> {
    const { receipt: _receipt, body: _body, ...visible } = letter;
    const occurrence = letter.message
      ? await this.deps.occurrences.get(letter.message.occurrenceId)
      : undefined;
    const reason = letter.reason ?? occurrence?.lastError;
    return {
      ...visible,
      ...(reason === undefined ? {} : { reason }),
      ...(occurrence ? { notificationStatus: occurrence.status } : {}),
    };
  }

  private async redriveOne(letter: HeldDeadLetter): Promise<RedriveResult> {
    const { messageId } = letter;
    const occurrenceId = letter.message?.occurrenceId;
    if (occurrenceId === undefined) {
      return {
        messageId,
        status: 422,
        outcome: 'unreadable',
        detail: 'not a notification message; delete it',
      };
    }
    const occurrence = await this.workable(occurrenceId);
    // A scheduler's plan that never reached a claim (ADR 0010): the worker creates it.
    if (!occurrence && letter.message?.plan) return this.moveBack(letter, occurrenceId);
    if (!occurrence) {
      return {
        messageId,
        occurrenceId,
        status: 422,
        outcome: 'unreadable',
        detail: 'its notification no longer exists; delete it',
      };
    }
    if (
      occurrence.status === 'delivered' ||
      occurrence.status === 'skipped' ||
      occurrence.status === 'cancelled'
    ) {
      return {
        messageId,
        occurrenceId,
        status: 409,
        outcome: 'already-final',
        notificationStatus: occurrence.status,
        detail: `the notification is ${occurrence.status}: nothing to redrive (a replay can force it); delete the message`,
      };
    }
    return this.moveBack(letter, occurrenceId, occurrence.status);
  }

  private async moveBack(
    letter: HeldDeadLetter,
    occurrenceId: string,
    notificationStatus?: OccurrenceStatus,
  ): Promise<RedriveResult> {
    await this.deps.dlq.redrive(letter);
    return {
      messageId: letter.messageId,
      occurrenceId,
      status: 200,
      outcome: 'redriven',
      ...(notificationStatus ? { notificationStatus } : {}),
      detail: 'moved to the notifications queue',
    };
  }

  /**
   * The occurrence made workable again: a `failed` one is redriven (queued, fresh budget), with
   * a conditional write retried against concurrent changes; a pending one (its message was
   * moved here by SQS after repeated crashes) needs no change.
   */
  private async workable(occurrenceId: string): Promise<Occurrence | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.deps.occurrences.get(occurrenceId);
      if (!current || current.status !== 'failed') return current;
      const next = redrive(current, this.deps.clock.now());
      if (await this.deps.occurrences.save(next)) return next;
      if (attempt >= MAX_TRANSITION_ATTEMPTS) throw new Error(`occurrence ${occurrenceId} kept changing`);
    }
  }

  /**
   * A `failed` notification gets a note. A scheduler's plan no worker claimed (ADR 0010) has no
   * record but its message: deleting it is an admin's no to that notification, so it is recorded
   * as cancelled by an admin (which no later pass revives), unless its user is gone (a record
   * would keep an erased user's data).
   */
  private async noteDeleted(message: NotificationMessage): Promise<void> {
    for (let attempt = 1; attempt <= MAX_TRANSITION_ATTEMPTS; attempt += 1) {
      const current = await this.deps.occurrences.get(message.occurrenceId);
      if (!current && message.plan) {
        if (!(await this.deps.users.get(message.userId))) return;
        const cancelled = adminCancel(plannedOccurrence(message, message.plan), this.deps.clock.now());
        if (cancelled.ok && (await this.deps.occurrences.save(cancelled.occurrence))) return;
        continue;
      }
      if (current?.status !== 'failed') return;
      if (await this.deps.occurrences.save(noteDeadLetterDeleted(current, this.deps.clock.now()))) return;
    }
  }
}
