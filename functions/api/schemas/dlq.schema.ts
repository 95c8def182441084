import { z } from 'zod';
import { limitQuery } from './common.schema';
import { isoOf } from '#commons/clock';
import type {
  DeadLetterView,
  RedriveResult,
  RedriveSelection,
} from '#use-cases/manage-dead-letters.use-case';
import { OCCURRENCE_STATUSES } from './notification.schema';

/* The notifications dead-letter queue as operators see it. */

/** SQS message ids are UUIDs; anything close enough is looked for, anything else is a 400. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;
const MESSAGE_ID_MESSAGE = 'each messageId must be an SQS message id (letters, digits and -)';

export const ListDlqQuerySchema = z
  .object({
    limit: limitQuery('Most messages to show, 1..100; 20 when absent.'),
  })
  .strict();

export const RedriveRequestSchema = z
  .object(
    {
      all: z.literal(true, { error: 'all must be true' }).optional().meta({
        description: 'Redrive every message (up to 500 per call; `remaining` says how many are left).',
      }),
      messageIds: z
        .array(
          z.string({ error: MESSAGE_ID_MESSAGE }).regex(MESSAGE_ID_PATTERN, { error: MESSAGE_ID_MESSAGE }),
          {
            error: 'messageIds must be an array of message ids',
          },
        )
        .min(1, { error: 'messageIds must not be empty' })
        .max(100, { error: 'messageIds must hold at most 100 ids' })
        .refine((ids) => new Set(ids).size === ids.length, { error: 'messageIds must not repeat an id' })
        .optional()
        .meta({ description: 'The messages to redrive (their messageId from GET /v1/dlq).' }),
    },
    { error: 'body must be a JSON object' },
  )
  .strict()
  .refine((body) => (body.all === undefined) !== (body.messageIds === undefined), {
    error: 'give exactly one of all (true) and messageIds',
    path: ['messageIds'],
  })
  .transform((body): RedriveSelection => (body.messageIds ? { messageIds: body.messageIds } : { all: true }))
  .meta({ description: 'Which dead letters to move back: {"all": true} or {"messageIds": [...]}.' });

export const DeadLetterSchema = z
  .object({
    messageId: z.string(),
    occurrenceId: z
      .string()
      .nullable()
      .meta({ description: 'The notification; null if the body is not one.' }),
    userId: z.string().nullable(),
    notificationStatus: z.enum(OCCURRENCE_STATUSES).nullable().meta({
      description:
        'The notification’s status now; null if it no longer exists, or is a plan no worker has claimed (planned).',
    }),
    planned: z.boolean().meta({
      description:
        'A scheduler’s plan (ADR 0010): the worker’s claim creates its notification. With notificationStatus null it was never attempted and exists nowhere else: redrive it, do not delete it.',
    }),
    receiveCount: z.int().min(0).meta({
      description: 'SQS ApproximateReceiveCount; listing the DLQ receives it too, so each listing adds one.',
    }),
    sentAt: z.iso
      .datetime()
      .meta({ description: 'When it was first sent (to the main queue, if SQS moved it).' }),
    firstReceivedAt: z.iso.datetime().nullable(),
    reason: z.string().nullable().meta({ description: 'Why it failed, if known.' }),
  })
  .strict()
  .meta({ description: 'A message in the notifications dead-letter queue.' });

export const DeadLetterListSchema = z
  .object({
    items: z.array(DeadLetterSchema),
    approximateCount: z.int().min(0).meta({ description: 'Messages in the DLQ (SQS’s approximate count).' }),
  })
  .strict();

export const RedriveResultSchema = z
  .object({
    messageId: z.string(),
    status: z.union([z.literal(200), z.literal(404), z.literal(409), z.literal(422)]).meta({
      description:
        '200 redriven; 404 not in the DLQ; 409 its notification is delivered, skipped or cancelled (left in the DLQ); 422 not a notification, or one that no longer exists (left).',
    }),
    outcome: z.enum(['redriven', 'not-found', 'already-final', 'unreadable']),
    occurrenceId: z.string().nullable(),
    notificationStatus: z.enum(OCCURRENCE_STATUSES).nullable(),
    detail: z.string(),
  })
  .strict();

export const RedriveResponseSchema = z
  .object({
    results: z.array(RedriveResultSchema).meta({ description: 'One per message, in the order asked.' }),
    remaining: z.int().min(0).meta({ description: 'Messages left in the DLQ (approximate).' }),
  })
  .strict();

export type DeadLetterJson = z.infer<typeof DeadLetterSchema>;
export type RedriveResultJson = z.infer<typeof RedriveResultSchema>;

export function toDeadLetterJson(view: DeadLetterView): DeadLetterJson {
  return {
    messageId: view.messageId,
    occurrenceId: view.message?.occurrenceId ?? null,
    userId: view.message?.userId ?? null,
    notificationStatus: view.notificationStatus ?? null,
    planned: view.message?.plan !== undefined,
    receiveCount: view.receiveCount,
    sentAt: isoOf(view.sentAt),
    firstReceivedAt: view.firstReceivedAt === undefined ? null : isoOf(view.firstReceivedAt),
    reason: view.reason ?? null,
  };
}

export function toRedriveResultJson(result: RedriveResult): RedriveResultJson {
  return {
    messageId: result.messageId,
    status: result.status,
    outcome: result.outcome,
    occurrenceId: result.occurrenceId ?? null,
    notificationStatus: result.notificationStatus ?? null,
    detail: result.detail,
  };
}
