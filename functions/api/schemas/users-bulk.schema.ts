import { z } from 'zod';
import { UUID_PATTERN } from '#domain/ids';
import { UserProfileSchema } from './user.schema';

/*
 * Bulk import of users: up to 1,000 operations per call, each validated exactly as the single
 * routes validate, each answered on its own.
 */

export const MAX_BULK_ITEMS = 1_000;
/** 1,000 profiles are ~110 KB of JSON; the other routes keep the 64 KiB limit. */
export const BULK_MAX_BODY_BYTES = 1024 * 1024;

const ID_MESSAGE = 'id must be a user id (a lowercase UUID)';

export const BulkItemSchema = z
  .object(
    {
      op: z.enum(['create', 'upsert', 'delete'], { error: 'op must be one of create, upsert, delete' }).meta({
        description:
          'create: a new user (with `id`, that id; 409 if taken). upsert: replace the user `id`, or create it with that id. delete: remove the user `id`.',
      }),
      id: z
        .string({ error: ID_MESSAGE })
        .regex(UUID_PATTERN, { error: ID_MESSAGE })
        .optional()
        .meta({ description: 'Required for upsert and delete; optional for create.' }),
      user: UserProfileSchema.optional().meta({
        description: 'The profile, as for POST /v1/users; required for create and upsert, absent for delete.',
      }),
    },
    { error: 'each item must be a JSON object' },
  )
  .strict()
  .superRefine((item, context) => {
    if (item.op !== 'delete' && item.user === undefined) {
      context.addIssue({ code: 'custom', path: ['user'], message: `user is required for ${item.op}` });
    }
    if (item.op === 'delete' && item.user !== undefined) {
      context.addIssue({ code: 'custom', path: ['user'], message: 'user must be absent for delete' });
    }
    if (item.op !== 'create' && item.id === undefined) {
      context.addIssue({ code: 'custom', path: ['id'], message: `id is required for ${item.op}` });
    }
  })
  .meta({ description: 'One operation of a bulk import.' });

/** The envelope alone: a body-level problem here is a 400 and nothing is done. */
export const BulkEnvelopeSchema = z
  .object(
    {
      items: z
        .array(z.unknown(), { error: 'items must be an array' })
        .min(1, { error: 'items must not be empty' })
        .max(MAX_BULK_ITEMS, { error: `items must hold at most ${MAX_BULK_ITEMS} operations` }),
    },
    { error: 'body must be a JSON object' },
  )
  .strict();

/** What the document shows: the envelope with each item's schema. */
export const BulkRequestSchema = z
  .object({
    items: z
      .array(BulkItemSchema)
      .min(1)
      .max(MAX_BULK_ITEMS)
      .meta({ description: `1..${MAX_BULK_ITEMS} operations; each is validated and answered on its own.` }),
  })
  .strict()
  .meta({ description: 'The body of POST /v1/users/bulk.' });

const FieldErrorJsonSchema = z.object({ path: z.string(), message: z.string() }).strict();

export const BulkResultSchema = z
  .object({
    index: z.int().min(0).meta({ description: 'Position of the operation in `items`.' }),
    op: z.string(),
    status: z.int().meta({
      description:
        'As the single route would answer: 201 created, 200 replaced, 204 deleted, 400 invalid (see errors), 404 no such user, 409 id taken or changing concurrently, 500 not done (retry it).',
    }),
    id: z.string().optional().meta({ description: 'The user concerned, when known.' }),
    errors: z
      .array(FieldErrorJsonSchema)
      .optional()
      .meta({ description: 'Why a 400 (paths within the item).' }),
  })
  .strict();

export const BulkResponseSchema = z
  .object({
    results: z.array(BulkResultSchema).meta({ description: 'One per operation, in order.' }),
    summary: z.record(z.string(), z.int()).meta({ description: 'How many operations ended in each status.' }),
  })
  .strict();

export type BulkItem = z.output<typeof BulkItemSchema>;
export type BulkResultJson = z.infer<typeof BulkResultSchema>;
