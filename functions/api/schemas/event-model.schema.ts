import { z } from 'zod';
import { isoOf } from '#commons/clock';
import {
  DEFAULT_MAX_LATENESS_HOURS,
  DEFAULT_SEND_AT,
  EVENT_TYPE_KEY_PATTERN,
  type EventType,
} from '#domain/event-type';
import type { Occurrence } from '#domain/occurrence';
import { MAX_TEMPLATE_LENGTH, TEMPLATE_PLACEHOLDERS, validateTemplate } from '#domain/template';
import type { UserPreferences } from '#domain/user';
import { isValidCalendarDate, isValidLocalTime } from '#domain/zoned-time';
import type { TemplatePreview, UserEventView } from '#use-cases/manage-user-events.use-case';

/*
 * The event model as clients see it: event types, users' events, preferences, notification
 * commands and the template preview. As for users, the same strict schemas validate requests and
 * generate the OpenAPI document.
 */

const OBJECT_MESSAGE = 'body must be a JSON object';

const typeError =
  (field: string, expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `${field} is required` : `${field} must be ${expected}`;

const typeKey = (field: string) =>
  z.string({ error: typeError(field, 'a string') }).regex(EVENT_TYPE_KEY_PATTERN, {
    error: `${field} must be lower-case letters, digits, - or _, starting with a letter (at most 40)`,
  });

/** Half of a UTF-16 surrogate pair without its other half: not text, and DynamoDB refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (field: string) => ({
  error: `${field} must be well-formed text (no broken Unicode)`,
  abort: true,
});

const template = z
  .string({ error: typeError('template', 'a string') })
  .max(MAX_TEMPLATE_LENGTH, {
    error: `template must be at most ${MAX_TEMPLATE_LENGTH} characters`,
    abort: true,
  })
  .refine((value) => !LONE_SURROGATE.test(value), wellFormed('template'))
  .superRefine((value, context) => {
    const checked = validateTemplate(value);
    if (!checked.ok) context.addIssue({ code: 'custom', message: checked.message });
  })
  .meta({
    description: `Logic-less: {{placeholder}} over ${TEMPLATE_PLACEHOLDERS.join(', ')}; an unknown one is a 400.`,
    examples: ['Happy anniversary, {{firstName}}: {{years}} years!'],
  });

const localTime = (field: string) =>
  z
    .string({ error: typeError(field, 'a string') })
    .refine(isValidLocalTime, { error: `${field} must be a local time HH:MM (00:00 to 23:59)` });

const sendAt = localTime('sendAt').meta({
  description: 'Local wall time the notification goes out at, HH:MM (the user’s own preference wins).',
  examples: ['09:00'],
});
const leapDay = z
  .enum(['feb28', 'mar1'], { error: 'leapDay must be "feb28" or "mar1"' })
  .meta({ description: 'Where a 29 February date falls in common years.' });
const maxLatenessHours = z
  .int({ error: 'maxLatenessHours must be an integer from 1 to 8784' })
  .min(1, { error: 'maxLatenessHours must be an integer from 1 to 8784' })
  .max(8784, { error: 'maxLatenessHours must be an integer from 1 to 8784' })
  .meta({
    description: 'Later than this after its due instant, a notification is skipped (kept, replayable).',
  });
const enabled = z
  .boolean({ error: 'enabled must be true or false' })
  .meta({ description: 'A disabled type sends nothing; what is queued is cancelled at delivery.' });
const recurrence = z.enum(['yearly', 'once'], { error: 'recurrence must be "yearly" or "once"' }).meta({
  description:
    'yearly: every anniversary of the date, from the first one on; once: on the date itself. Fixed once created.',
});
const webhookUrl = z
  .string({ error: typeError('webhookUrl', 'a string') })
  .max(2048, { error: 'webhookUrl must be at most 2048 characters', abort: true })
  .refine((value) => !LONE_SURROGATE.test(value), wellFormed('webhookUrl'))
  .meta({
    description:
      'This type’s own receiver (https in AWS; private and loopback addresses refused unless WEBHOOK_ALLOWED_HOSTS allows them). It gets its own secret, shown once.',
    examples: ['https://hooks.example.com/anniversaries'],
  });

const definitionShape = {
  template,
  sendAt: sendAt.default(DEFAULT_SEND_AT),
  leapDay: leapDay.default('feb28'),
  maxLatenessHours: maxLatenessHours.default(DEFAULT_MAX_LATENESS_HOURS),
  enabled: enabled.default(true),
  recurrence: recurrence.default('yearly'),
  webhookUrl: webhookUrl.optional(),
};

export const CreateEventTypeSchema = z
  .object(
    { key: typeKey('key').meta({ examples: ['name-day'] }), ...definitionShape },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .meta({
    description: 'A custom event type: the body of POST /v1/event-types. Fields left out take their default.',
  });

export const ReplaceEventTypeSchema = z
  .object(
    {
      key: typeKey('key').optional(),
      ...definitionShape,
      // Fixed at creation: left out, it stays what it is (a reminder stays once).
      recurrence: recurrence.optional(),
    },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .meta({
    description:
      'The whole definition (PUT): fields left out take their default, and no webhookUrl removes the type’s own webhook. key, if given, must be the path’s.',
  });

export const PatchEventTypeSchema = z
  .object(
    {
      template: template.optional(),
      sendAt: sendAt.optional(),
      leapDay: leapDay.optional(),
      maxLatenessHours: maxLatenessHours.optional(),
      enabled: enabled.optional(),
      recurrence: recurrence.optional(),
      webhookUrl: webhookUrl
        .nullable()
        .optional()
        .meta({ description: 'null removes the type’s own webhook.' }),
    },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, { error: 'at least one field is required' })
  .meta({ description: 'Any non-empty subset of the definition (PATCH).' });

const readOnly = (description: string) => ({ description, readOnly: true });

export const EventTypeSchema = z
  .object({
    key: z.string(),
    builtIn: z
      .boolean()
      .meta(readOnly('birthday, anniversary and reminder always exist and cannot be deleted.')),
    template: z.string(),
    sendAt: z.string(),
    leapDay: z.enum(['feb28', 'mar1']),
    maxLatenessHours: z.int(),
    enabled: z.boolean(),
    recurrence: z.enum(['yearly', 'once']),
    webhookUrl: z.string().nullable(),
    hasWebhookSecret: z.boolean().meta(readOnly('Whether the type signs with a secret of its own.')),
    createdAt: z.iso.datetime().nullable().meta(readOnly('null for a built-in never changed.')),
    updatedAt: z.iso.datetime().nullable().meta(readOnly('null for a built-in never changed.')),
    version: z.int().min(0).meta(readOnly('0 for a built-in’s default; the ETag.')),
  })
  .strict()
  .meta({
    description: 'An event type. Its webhook secret is never shown, except once in the answer that made it.',
  });

export const SavedEventTypeSchema = EventTypeSchema.extend({
  webhookSecret: z
    .string()
    .optional()
    .meta(readOnly('The new whsec_ secret of the type’s own webhook: in this answer only, never again.')),
}).meta({ description: 'The event type as saved; webhookSecret only when this write generated it.' });

export const EventTypeListSchema = z.object({ items: z.array(EventTypeSchema) }).strict();

export function toEventTypeJson(type: EventType): z.infer<typeof EventTypeSchema> {
  return {
    key: type.key,
    builtIn: type.builtIn,
    template: type.template,
    sendAt: type.sendAt,
    leapDay: type.leapDay,
    maxLatenessHours: type.maxLatenessHours,
    enabled: type.enabled,
    recurrence: type.recurrence,
    webhookUrl: type.webhookUrl ?? null,
    hasWebhookSecret: type.webhookSecret !== undefined,
    createdAt: type.createdAt ?? null,
    updatedAt: type.updatedAt ?? null,
    version: type.version,
  };
}

const eventDate = z
  .string({ error: typeError('date', 'a string') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'date must be a date in the form YYYY-MM-DD', abort: true })
  .refine(isValidCalendarDate, { error: 'date must be a real calendar date' })
  .meta({
    description: 'YYYY-MM-DD: the origin of a yearly event (a wedding), the day of a one-off.',
    examples: ['2015-06-20'],
  });

export const CreateUserEventSchema = z
  .object(
    { type: typeKey('type').meta({ examples: ['anniversary'] }), date: eventDate },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .meta({ description: 'A dated event of the user: the body of POST /v1/users/{id}/events.' });

export const UserEventSchema = z
  .object({
    id: z.string().meta(readOnly('`birthday` for the user’s birthday, else assigned by the service.')),
    type: z.string(),
    date: z.string(),
    nextNotificationAt: z.iso
      .datetime()
      .nullable()
      .meta(readOnly('When its next notification is due (UTC).')),
    nextNotificationLocalDate: z.string().nullable().meta(readOnly('Local date of the next notification.')),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.int().min(1),
  })
  .strict();

export const UserEventListSchema = z
  .object({ items: z.array(UserEventSchema) })
  .strict()
  .meta({ description: 'The birthday first, then the other events, oldest first.' });

export const toUserEventJson = (event: UserEventView): z.infer<typeof UserEventSchema> => ({
  id: event.id,
  type: event.type,
  date: event.date,
  nextNotificationAt: event.schedule ? isoOf(event.schedule.dueAt) : null,
  nextNotificationLocalDate: event.schedule?.localDate ?? null,
  createdAt: event.createdAt,
  updatedAt: event.updatedAt,
  version: event.version,
});

export const PreferencesBodySchema = z
  .object(
    {
      optOut: z
        .array(typeKey('optOut'), { error: 'optOut must be an array of event type keys' })
        .max(100, { error: 'optOut must list at most 100 types' })
        .meta({ description: 'Event types this user gets nothing for.', examples: [['reminder']] }),
      sendAt: localTime('sendAt')
        .nullable()
        .optional()
        .meta({ description: 'Own local send time for all the user’s events; absent or null: each type’s.' }),
    },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .meta({ description: 'The body of PUT /v1/users/{id}/preferences: replaces the preferences.' });

export const PreferencesSchema = z
  .object({ optOut: z.array(z.string()), sendAt: z.string().nullable() })
  .strict()
  .meta({ description: 'A user’s preferences, honoured at delivery time.' });

export const toPreferencesJson = (
  preferences: UserPreferences | undefined,
): z.infer<typeof PreferencesSchema> => ({
  optOut: preferences?.optOut ?? [],
  sendAt: preferences?.sendAt ?? null,
});

export const RescheduleBodySchema = z
  .object(
    {
      at: z.iso
        .datetime({ offset: true, error: 'at must be an ISO-8601 instant such as 2027-06-15T09:00:00Z' })
        .meta({ description: 'When to attempt it; a past instant means now.' }),
    },
    { error: OBJECT_MESSAGE },
  )
  .strict();

export const NotificationSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    eventId: z.string(),
    type: z.string(),
    localDate: z.string(),
    status: z.string(),
    statusReason: z.string().nullable(),
    manual: z.boolean(),
    scheduledFor: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime(),
    attempts: z.int(),
    version: z.int(),
  })
  .strict()
  .meta({ description: 'One notification (an occurrence of a user’s event on a local date).' });

export const toNotificationJson = (occurrence: Occurrence): z.infer<typeof NotificationSchema> => ({
  id: occurrence.occurrenceId,
  userId: occurrence.userId,
  eventId: occurrence.eventId ?? 'birthday',
  type: occurrence.eventKey,
  localDate: occurrence.localDate,
  status: occurrence.status,
  statusReason: occurrence.statusReason ?? null,
  manual: occurrence.manual === true,
  scheduledFor: isoOf(occurrence.scheduledFor),
  nextAttemptAt: isoOf(occurrence.nextAttemptAt),
  attempts: occurrence.attempts,
  version: occurrence.version,
});

export const PreviewBodySchema = z
  .object(
    {
      userId: z.string({ error: typeError('userId', 'a string') }).max(128, { error: 'userId is too long' }),
      eventId: z
        .string({ error: 'eventId must be a string' })
        .max(128, { error: 'eventId is too long' })
        .optional(),
      template: template.optional().meta({ description: 'An unsaved template to try; default: the type’s.' }),
      date: eventDate
        .optional()
        .meta({ description: 'The local date to render for; default: the event’s next.' }),
    },
    { error: OBJECT_MESSAGE },
  )
  .strict()
  .meta({ description: 'Renders a template for a user (and one of their events) without sending anything.' });

export const PreviewSchema = z
  .object({
    message: z.string(),
    localDate: z.string(),
    template: z.string(),
    values: z
      .object({
        firstName: z.string(),
        lastName: z.string(),
        fullName: z.string(),
        date: z.string(),
        years: z.int(),
      })
      .strict(),
  })
  .strict();

export const toPreviewJson = (preview: TemplatePreview): z.infer<typeof PreviewSchema> => ({ ...preview });
