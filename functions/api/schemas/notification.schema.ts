import { z } from 'zod';
import { cursorQuery, eventTypeKeyFilter, limitQuery, userIdFilter } from './common.schema';
import { isoOf } from '#commons/clock';
import { triggerOf, type AttemptRecord, type Occurrence, type OccurrenceStatus } from '#domain/occurrence';
import { MAX_LOG_WINDOW_DAYS } from '#use-cases/notification-log.use-case';

/*
 * The notification log as clients see it: one notification per user, event and local date, with
 * ISO instants and none of the storage keys.
 */

export const OCCURRENCE_STATUSES = [
  'queued',
  'sending',
  'retrying',
  'delivered',
  'failed',
  'cancelled',
  'skipped',
] as const satisfies readonly OccurrenceStatus[];

const DAY_MS = 86_400_000;
const INSTANT_MESSAGE = (field: string) =>
  `${field} must be an ISO-8601 instant such as 2027-06-15T00:00:00Z`;

const instant = (field: string, description: string) =>
  z.iso
    .datetime({ offset: true, error: INSTANT_MESSAGE(field) })
    .transform((value) => Date.parse(value))
    .optional()
    .meta({ description, examples: ['2027-06-01T00:00:00Z'] });

export const ListNotificationsQuerySchema = z
  .object({
    status: z
      .enum(OCCURRENCE_STATUSES, { error: `status must be one of ${OCCURRENCE_STATUSES.join(', ')}` })
      .optional()
      .meta({ description: 'Only notifications in this status.' }),
    type: eventTypeKeyFilter(),
    userId: userIdFilter(),
    from: instant('from', 'Earliest due instant, inclusive. Default: 31 days before `to`.'),
    to: instant(
      'to',
      'Latest due instant, exclusive. Default: 31 days after `from`, or one day from now without `from`.',
    ),
    limit: limitQuery(),
    cursor: cursorQuery(512, 'The nextCursor of the previous page of the same query; opaque.'),
  })
  .strict()
  .superRefine((query, context) => {
    if (query.from === undefined || query.to === undefined) return;
    if (query.from >= query.to) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
    } else if (query.to - query.from > MAX_LOG_WINDOW_DAYS * DAY_MS) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `to must be at most ${MAX_LOG_WINDOW_DAYS} days after from`,
      });
    }
  });

const readOnly = (description: string) => ({ description });

export const NotificationSchema = z
  .object({
    id: z.string().meta(readOnly('occ_ + 32 hex digits; also the webhook-id of every attempt.')),
    userId: z.string(),
    type: z.string().meta(readOnly('The event type’s key.')),
    eventId: z
      .string()
      .nullable()
      .meta(readOnly('The user’s event it is of (`birthday` for the profile’s).')),
    localDate: z.string().meta(readOnly('The local date (YYYY-MM-DD) of the event it is for.')),
    timezone: z.string(),
    scheduledFor: z.iso.datetime().meta(readOnly('When it was due (UTC).')),
    status: z.enum(OCCURRENCE_STATUSES),
    statusReason: z.string().nullable().meta(readOnly('Why it is cancelled, skipped, redriven, …')),
    attemptCount: z.int().meta(readOnly('Attempts that used the retry budget.')),
    deferralCount: z.int().meta(readOnly('Waits that did not (429, open circuit).')),
    nextAttemptAt: z.iso.datetime().nullable().meta(readOnly('Not attempted before this, while pending.')),
    deliveredAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    correlationId: z.string().nullable().meta(readOnly('x-request-id of the API call that scheduled it.')),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.int().min(1),
  })
  .strict()
  .meta({ description: 'One notification: a user’s event on one local date.' });

export const AttemptSchema = z
  .object({
    sequence: z.int().min(1),
    at: z.iso.datetime().meta({ description: 'When the POST started (UTC).' }),
    durationMs: z.int().min(0),
    outcome: z.enum(['delivered', 'retryable', 'rate-limited', 'permanent']),
    statusCode: z.int().nullable().meta({ description: 'The receiver’s HTTP status; null if none came.' }),
    error: z.string().nullable(),
    response: z.string().nullable().meta({ description: 'The start of the receiver’s answer (truncated).' }),
    trigger: z.enum(['scheduled', 'manual', 'replay']).meta({
      description: 'scheduled (the schedule and its retries), manual (an admin’s send) or replay.',
    }),
  })
  .strict()
  .meta({ description: 'One POST to the webhook.' });

export const NotificationDetailSchema = NotificationSchema.extend({
  attempts: z.array(AttemptSchema).meta({ description: 'Every POST, oldest first.' }),
}).meta({ description: 'One notification with all its attempts.' });

export const NotificationListSchema = z
  .object({
    items: z.array(NotificationSchema),
    nextCursor: z.string().nullable().meta({
      description:
        'Pass as `cursor` (with the same filters) for the next page; null on the last. A page may be short, even empty, and still have one.',
    }),
  })
  .strict();

export type NotificationJson = z.infer<typeof NotificationSchema>;
export type AttemptJson = z.infer<typeof AttemptSchema>;

const isoOrNull = (epochMs: number | undefined): string | null =>
  epochMs === undefined ? null : isoOf(epochMs);

const PENDING: ReadonlySet<OccurrenceStatus> = new Set(['queued', 'sending', 'retrying']);

export function toNotificationJson(occurrence: Occurrence): NotificationJson {
  return {
    id: occurrence.occurrenceId,
    userId: occurrence.userId,
    type: occurrence.eventKey,
    eventId: occurrence.eventId ?? null,
    localDate: occurrence.localDate,
    timezone: occurrence.timezone,
    scheduledFor: isoOf(occurrence.scheduledFor),
    status: occurrence.status,
    statusReason: occurrence.statusReason ?? null,
    attemptCount: occurrence.attempts,
    deferralCount: occurrence.deferrals,
    nextAttemptAt: PENDING.has(occurrence.status) ? isoOf(occurrence.nextAttemptAt) : null,
    deliveredAt: isoOrNull(occurrence.deliveredAt),
    lastError: occurrence.lastError ?? null,
    correlationId: occurrence.correlationId ?? null,
    createdAt: isoOf(occurrence.createdAt),
    updatedAt: isoOf(occurrence.updatedAt),
    version: occurrence.version,
  };
}

export function toAttemptJson(attempt: AttemptRecord): AttemptJson {
  return {
    sequence: attempt.sequence,
    at: isoOf(attempt.at),
    durationMs: Math.max(0, Math.round(attempt.durationMs)),
    outcome: attempt.outcome,
    statusCode: attempt.statusCode ?? null,
    error: attempt.error ?? null,
    response: attempt.responseSnippet ?? null,
    trigger: triggerOf(attempt),
  };
}
