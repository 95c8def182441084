import { isoOf, type Clock } from '#commons/clock';
import { NotFoundError, VersionMismatchError } from '#commons/errors';
import type { EventType } from '#domain/event-type';
import { createIdGenerator, UUID_PATTERN } from '#domain/ids';
import { newOccurrence, type Occurrence } from '#domain/occurrence';
import { occurrenceId } from '#domain/occurrence-id';
import { renderTemplate, validateTemplate } from '#domain/template';
import type { StoredUser, UserSchedule } from '#domain/user';
import {
  BIRTHDAY_EVENT_ID,
  birthdayTarget,
  eventTarget,
  MAX_EVENTS_PER_USER,
  ruleOf,
  targetFingerprint,
  templateValuesOf,
  type ScheduledTarget,
  type UserEvent,
} from '#domain/user-event';
import { localDateOf, parseCalendarDate } from '#domain/zoned-time';
import type { NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { UserRepository } from '#ports/user-repository';
import { EventModelError, invalidField } from './event-model-errors';
import { freshSchedule, shownSchedule } from './event-schedule';
import type { EventTypeCatalog } from './event-type-catalog';

/** Earliest accepted event year, as for birthdays: older dates are typos. */
export const MIN_EVENT_YEAR = 1900;
/** A yearly event's first occurrence is a year after its date, and the calendar stops at 9999. */
export const MAX_EVENT_YEAR = 9998;

/** One of a user's events as the API shows it; the birthday is one of them (id `birthday`). */
export interface UserEventView {
  id: string;
  type: string;
  date: string;
  schedule: UserSchedule | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TemplatePreview {
  message: string;
  localDate: string;
  template: string;
  values: ReturnType<typeof templateValuesOf>;
}

/**
 * A user's dated events (the birthday included), an admin's test send of one of them, and the
 * template preview. Creating an event is one conditional write of its own item, which carries
 * its first occurrence into the due index.
 */
export class ManageUserEvents {
  private readonly newId: () => string;

  constructor(
    private readonly deps: {
      users: UserRepository;
      userEvents: UserEventRepository;
      catalog: EventTypeCatalog;
      occurrences: OccurrenceRepository;
      queue: NotificationQueue;
      clock: Clock;
      newId?: () => string;
    },
  ) {
    this.newId = deps.newId ?? createIdGenerator(deps.clock);
  }

  /** The birthday first, then the other events oldest first. @throws NotFoundError */
  async list(userId: string): Promise<UserEventView[]> {
    const user = await this.user(userId);
    const events = await this.deps.userEvents.listByUser(userId);
    const now = this.deps.clock.now();
    return Promise.all([
      this.shown(birthdayView(user), user, now),
      ...events.map((event) => this.shown(eventView(event), user, now)),
    ]);
  }

  /** @throws NotFoundError */
  async get(userId: string, eventId: string): Promise<UserEventView> {
    const user = await this.user(userId);
    const now = this.deps.clock.now();
    if (eventId === BIRTHDAY_EVENT_ID) return this.shown(birthdayView(user), user, now);
    return this.shown(eventView(await this.event(userId, eventId)), user, now);
  }

  /**
   * The view with the schedule the API shows (shownSchedule): a stored anchor may be a year the
   * scheduler has handled already (ADR 0009).
   */
  private async shown(view: UserEventView, user: StoredUser, now: number): Promise<UserEventView> {
    const target = { typeKey: view.type, date: view.date, schedule: view.schedule };
    return { ...view, schedule: await this.shownScheduleOf(target, user, now) };
  }

  /** The next occurrence of a target as the API shows it (shownSchedule): not a past anchor. */
  private async shownScheduleOf(
    target: Pick<ScheduledTarget, 'typeKey' | 'date' | 'schedule'>,
    user: StoredUser,
    now: number,
  ): Promise<UserSchedule | null> {
    const type = await this.deps.catalog.get(target.typeKey);
    return shownSchedule(target.schedule, type ? ruleOf(target, user, type) : undefined, now);
  }

  /** @throws NotFoundError (user), EventModelError (type, date, too many events) */
  async create(
    userId: string,
    input: { type: string; date: string },
    requestId: string,
  ): Promise<UserEventView> {
    const user = await this.user(userId);
    if (input.type === 'birthday') {
      throw invalidField(
        'type',
        "the birthday is the user's own birthday field; change it with PATCH /v1/users/{id}",
      );
    }
    const type = await this.deps.catalog.get(input.type);
    if (!type) throw invalidField('type', `there is no event type "${input.type}"`);
    const date = parseCalendarDate(input.date);
    if (!date) throw invalidField('date', 'date must be a real calendar date (YYYY-MM-DD)');
    if (date.year < MIN_EVENT_YEAR || date.year > MAX_EVENT_YEAR) {
      throw invalidField('date', `date must be in the years ${MIN_EVENT_YEAR} to ${MAX_EVENT_YEAR}`);
    }
    if ((await this.deps.userEvents.listByUser(userId)).length >= MAX_EVENTS_PER_USER) {
      throw new EventModelError(
        'unprocessable',
        `A user has at most ${MAX_EVENTS_PER_USER} events besides the birthday.`,
      );
    }
    const now = this.deps.clock.now();
    const id = this.newId();
    const schedule = await freshSchedule(
      { userId, eventId: id, date: input.date },
      user,
      type,
      now,
      undefined,
    );
    if (schedule === null) {
      // Only a one-off event can have no occurrence left: its day and send time are past.
      throw invalidField(
        'date',
        `a ${type.key} happens once, on its date at ${type.sendAt} in ${user.timezone}, and that is past`,
      );
    }
    const event: UserEvent = {
      id,
      userId,
      type: type.key,
      date: input.date,
      createdAt: isoOf(now),
      updatedAt: isoOf(now),
      version: 1,
      schedule,
      lastRequestId: requestId,
    };
    await this.deps.userEvents.create(event);
    return eventView(event);
  }

  /** @throws NotFoundError, EventModelError (the birthday), VersionMismatchError */
  async delete(userId: string, eventId: string, expectedVersion?: number): Promise<UserEventView> {
    if (eventId === BIRTHDAY_EVENT_ID) {
      throw new EventModelError(
        'unprocessable',
        "The birthday is the user's own field and cannot be deleted as an event; delete the user or change the birthday.",
        [{ path: 'eventId', message: 'birthday cannot be deleted here' }],
      );
    }
    const current = await this.event(userId, eventId);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new VersionMismatchError('event', expectedVersion, current.version);
    }
    // The worker re-reads the event before sending: a queued occurrence of it is cancelled.
    if (!(await this.deps.userEvents.delete(userId, eventId))) throw new NotFoundError('event', eventId);
    return eventView(current);
  }

  /**
   * A test send of one event, now: an occurrence of its own (id from the event and the request
   * id, so a retried request finds it instead of sending again), marked manual. The scheduled
   * occurrence of the year has another id, so it still goes out as planned.
   * @throws NotFoundError
   */
  async sendNow(userId: string, eventId: string, requestId: string): Promise<Occurrence> {
    const user = await this.user(userId);
    const target =
      eventId === BIRTHDAY_EVENT_ID ? birthdayTarget(user) : eventTarget(await this.event(userId, eventId));
    const type = await this.type(target.typeKey);
    const now = this.deps.clock.now();
    const fresh = newOccurrence(
      {
        occurrenceId: occurrenceId(userId, target.eventId, `manual:${requestId}`),
        userId,
        eventKey: type.key,
        localDate:
          (await this.shownScheduleOf(target, user, now))?.localDate ?? localDateOf(now, user.timezone),
        timezone: user.timezone,
        scheduledFor: now,
        fingerprint: targetFingerprint(target, user, type),
        correlationId: requestId,
        eventId: target.eventId,
        manual: true,
      },
      now,
      false,
    );
    const occurrence = (await this.deps.occurrences.create(fresh))
      ? fresh
      : ((await this.deps.occurrences.get(fresh.occurrenceId)) ?? fresh);
    if (occurrence.status === 'queued') {
      // Also on a retried request: the first message may have been lost with the first answer
      // (a duplicate is harmless, the worker claims). One the queue refuses is not lost either:
      // the occurrence is watched, and the scheduler re-sends it once its watch time passes.
      await this.deps.queue.enqueue([
        { occurrenceId: occurrence.occurrenceId, userId, correlationId: requestId },
      ]);
    }
    return occurrence;
  }

  /**
   * Renders a type's template (or `template`, unsaved) for a user and one of their events, on
   * its next local date (or `date`). @throws NotFoundError (type), EventModelError
   */
  async preview(
    typeKey: string,
    input: { userId: string; eventId?: string; template?: string; date?: string },
  ): Promise<TemplatePreview> {
    const type = await this.type(typeKey);
    const template = input.template ?? type.template;
    const checked = validateTemplate(template);
    if (!checked.ok) throw invalidField('template', checked.message);
    // Only ids this service issues reach storage (anything else names nobody).
    const user = UUID_PATTERN.test(input.userId) ? await this.deps.users.get(input.userId) : undefined;
    if (!user) throw invalidField('userId', 'there is no user with this id');
    let target: ScheduledTarget = birthdayTarget(user);
    if (input.eventId !== undefined && input.eventId !== BIRTHDAY_EVENT_ID) {
      const event = UUID_PATTERN.test(input.eventId)
        ? await this.deps.userEvents.get(user.id, input.eventId)
        : undefined;
      if (!event) throw invalidField('eventId', 'the user has no event with this id');
      target = eventTarget(event);
    }
    const now = this.deps.clock.now();
    const localDate =
      input.date ??
      (await this.shownScheduleOf(target, user, now))?.localDate ??
      localDateOf(now, user.timezone);
    const values = templateValuesOf(user, target, localDate);
    return { message: renderTemplate(template, values), localDate, template, values };
  }

  private async user(userId: string): Promise<StoredUser> {
    const user = await this.deps.users.get(userId);
    if (!user) throw new NotFoundError('user', userId);
    return user;
  }

  private async event(userId: string, eventId: string): Promise<UserEvent> {
    const event = await this.deps.userEvents.get(userId, eventId);
    if (!event) throw new NotFoundError('event', eventId);
    return event;
  }

  private async type(key: string): Promise<EventType> {
    const type = await this.deps.catalog.get(key);
    if (!type) throw new NotFoundError('event type', key);
    return type;
  }
}

const birthdayView = (user: StoredUser): UserEventView => ({
  id: BIRTHDAY_EVENT_ID,
  type: 'birthday',
  date: user.birthday,
  schedule: user.schedule,
  createdAt: user.createdAt,
  updatedAt: user.updatedAt,
  version: user.version,
});

const eventView = (event: UserEvent): UserEventView => ({
  id: event.id,
  type: event.type,
  date: event.date,
  schedule: event.schedule,
  createdAt: event.createdAt,
  updatedAt: event.updatedAt,
  version: event.version,
});
