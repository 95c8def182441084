import { z } from 'zod';
import { isoOf } from '#commons/clock';
import { UUID_PATTERN } from '#domain/ids';
import {
  MAX_REPLAY_OCCURRENCES,
  MAX_REPLAY_WINDOW_DAYS,
  REPLAYABLE_STATUSES,
  type ReplayCounts,
  type ReplayJob,
  type ReplayRequest,
} from '#domain/replay-job';
import { paginationShape } from './common.schema';

/* Replay jobs as clients see them: ISO instants, the request as normalized, progress counts. */

const DAY_MS = 86_400_000;
const STATUS_MESSAGE =
  `status must be one of ${REPLAYABLE_STATUSES.join(', ')}, or a list of them ` +
  '(queued, sending and retrying notifications are already on their way)';

const instant = (field: string, description: string) =>
  z.iso
    .datetime({ offset: true, error: `${field} must be an ISO-8601 instant such as 2027-06-15T00:00:00Z` })
    .transform((value) => Date.parse(value))
    .meta({ description, examples: ['2027-06-01T00:00:00Z'] });

const replayableStatus = z.enum(REPLAYABLE_STATUSES, { error: STATUS_MESSAGE });

export const CreateReplaySchema = z
  .object({
    from: instant('from', 'Earliest due instant of the window, inclusive.'),
    to: instant('to', `Latest due instant, exclusive; at most ${MAX_REPLAY_WINDOW_DAYS} days after from.`),
    type: z
      .string({ error: 'type must be a string' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'type must be an event type key such as birthday' })
      .optional()
      .meta({ description: 'Only notifications of this event type (its key).', examples: ['birthday'] }),
    userId: z
      .string({ error: 'userId must be a string' })
      .regex(UUID_PATTERN, { error: 'userId must be a user id (a UUID)' })
      .optional()
      .meta({ description: 'Only this user’s notifications.' }),
    status: z
      .union([replayableStatus, z.array(replayableStatus).min(1).max(REPLAYABLE_STATUSES.length)], {
        error: STATUS_MESSAGE,
      })
      .optional()
      .meta({
        description:
          'Which notifications to send again. Default: failed and skipped (and delivered when forced). ' +
          'Delivered ones are sent again only with force.',
        examples: [['failed', 'skipped']],
      }),
    dryRun: z
      .boolean({ error: 'dryRun must be true or false' })
      .optional()
      .meta({ description: 'Only count what would be replayed; nothing is changed (200).' }),
    force: z
      .boolean({ error: 'force must be true or false' })
      .optional()
      .meta({ description: 'Also send again notifications that were delivered (same webhook-id).' }),
  })
  .strict()
  .superRefine((body, context) => {
    if (body.from >= body.to) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
    } else if (body.to - body.from > MAX_REPLAY_WINDOW_DAYS * DAY_MS) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `to must be at most ${MAX_REPLAY_WINDOW_DAYS} days after from`,
      });
    }
  })
  .meta({ description: 'A due-time window of notifications to send again.' });

export type CreateReplayBody = z.output<typeof CreateReplaySchema>;

/** The statuses of a body as a list (one status may be given alone). */
export const statusesOf = (body: CreateReplayBody) =>
  body.status === undefined ? undefined : Array.isArray(body.status) ? body.status : [body.status];

const count = (description: string) => z.int().min(0).meta({ description });

export const ReplayCountsSchema = z
  .object({
    matched: count('Notifications of the window (after type and user) looked at so far.'),
    requeued: count('Queued again (or, in a dry run, would be).'),
    skippedDelivered: count('Delivered, and not forced: left alone.'),
    skippedInFlight: count('Queued, sending or retrying: already on their way.'),
    skippedOtherStatus: count('In a status the request did not ask for.'),
    skippedChanged: count('Changed under the job so that they no longer qualified.'),
  })
  .strict()
  .meta({ description: 'Each matched notification is counted in exactly one of the other fields.' });

const ReplayRequestSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    type: z.string().nullable(),
    userId: z.string().nullable(),
    status: z.array(z.enum(REPLAYABLE_STATUSES)),
    force: z.boolean(),
  })
  .strict()
  .meta({ description: 'The request as normalized (defaults filled in); its digest is the job id.' });

export const ReplayJobSchema = z
  .object({
    id: z.string().meta({ description: 'rpl_ + 32 hex digits, derived from the normalized request.' }),
    status: z.enum(['pending', 'running', 'done', 'failed']),
    request: ReplayRequestSchema,
    total: z.int().min(0).meta({ description: 'Notifications the window held when the job was created.' }),
    counts: ReplayCountsSchema,
    error: z
      .string()
      .nullable()
      .meta({ description: 'Why a failed job stopped; repeat the request to resume it.' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .strict()
  .meta({ description: 'A replay job and its progress.' });

export const ReplayDryRunSchema = z
  .object({
    dryRun: z.literal(true),
    id: z.string().meta({ description: 'The id the job for this request would have.' }),
    request: ReplayRequestSchema,
    counts: ReplayCountsSchema,
    limit: z.int().meta({ description: `Most notifications per job (${MAX_REPLAY_OCCURRENCES}).` }),
  })
  .strict()
  .meta({ description: 'What a replay of this request would do now; nothing was changed.' });

export const ListReplaysQuerySchema = z.object(paginationShape).strict();

export const ReplayJobListSchema = z
  .object({
    items: z.array(ReplayJobSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .strict();

const isoOrNull = (epochMs: number | undefined): string | null =>
  epochMs === undefined ? null : isoOf(epochMs);

export function toReplayRequestJson(request: ReplayRequest): z.infer<typeof ReplayRequestSchema> {
  return {
    from: isoOf(request.from),
    to: isoOf(request.to),
    type: request.eventKey ?? null,
    userId: request.userId ?? null,
    status: [...request.statuses],
    force: request.force,
  };
}

const countsJson = (counts: ReplayCounts): ReplayCounts => ({ ...counts });

export function toReplayJobJson(job: ReplayJob): z.infer<typeof ReplayJobSchema> {
  return {
    id: job.id,
    status: job.status,
    request: toReplayRequestJson(job.request),
    total: job.total,
    counts: countsJson(job.counts),
    error: job.error ?? null,
    createdAt: isoOf(job.createdAt),
    updatedAt: isoOf(job.updatedAt),
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
  };
}
