import type { Clock } from '#commons/clock';
import { ConflictError, NotFoundError } from '#commons/errors';
import {
  adminCancel,
  adminReschedule,
  MAX_RESCHEDULE_AHEAD_MS,
  type CommandResult,
} from '#domain/notification-command';
import type { Occurrence } from '#domain/occurrence';
import type { NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import { EventModelError, invalidField } from './event-model-errors';

/** SQS's longest delay; longer waits are the worker's not-yet deferrals, one hop at a time. */
const MAX_DELAY_SECONDS = 900;

/**
 * An admin's commands on one pending notification (occurrence): cancel it, or move its next
 * attempt. Each is one conditional write on the occurrence's version; losing the race to the
 * worker means the notification was not pending any more, and the admin is told so (409).
 */
export class NotificationCommands {
  constructor(
    private readonly deps: { occurrences: OccurrenceRepository; queue: NotificationQueue; clock: Clock },
  ) {}

  /** @throws NotFoundError, EventModelError (409: not pending) */
  cancel(id: string): Promise<{ before: Occurrence; after: Occurrence }> {
    return this.command(id, (occurrence, now) => adminCancel(occurrence, now));
  }

  /** @throws NotFoundError, EventModelError (400: `at` too far ahead; 409: not pending) */
  async reschedule(id: string, at: number): Promise<{ before: Occurrence; after: Occurrence }> {
    const now = this.deps.clock.now();
    if (at - now > MAX_RESCHEDULE_AHEAD_MS) throw invalidField('at', 'at must be within a year from now');
    const result = await this.command(id, (occurrence, current) => adminReschedule(occurrence, current, at));
    const { after } = result;
    // A message that comes when it is due; the one already queued (if any) finds it not yet due
    // and waits, so moving earlier and later both work, and the worker's claim keeps it to one.
    const delaySeconds = Math.min(
      MAX_DELAY_SECONDS,
      Math.max(0, Math.ceil((after.nextAttemptAt - now) / 1000)),
    );
    const message = {
      occurrenceId: after.occurrenceId,
      userId: after.userId,
      ...(after.correlationId ? { correlationId: after.correlationId } : {}),
    };
    await this.deps.queue.enqueueDelayed(message, delaySeconds);
    return result;
  }

  private async command(
    id: string,
    apply: (occurrence: Occurrence, now: number) => CommandResult,
  ): Promise<{ before: Occurrence; after: Occurrence }> {
    const before = await this.deps.occurrences.get(id);
    if (!before) throw new NotFoundError('notification', id);
    const result = apply(before, this.deps.clock.now());
    if (!result.ok) throw new EventModelError('conflict', `Not done: ${result.reason}.`);
    if (!(await this.deps.occurrences.save(result.occurrence))) {
      throw new ConflictError(`notification ${id} changed meanwhile`);
    }
    return { before, after: result.occurrence };
  }
}
