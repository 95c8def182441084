import { z } from 'zod';
import { UUID_PATTERN } from '#domain/ids';

/** Shared pieces of request and response schemas: pagination and time ranges. */

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100';

/** `limit` in a query string: an integer 1..100, 20 when absent. */
export const limitQuery = (description = 'Page size, 1..100; 20 when absent.') =>
  z
    .string({ error: LIMIT_MESSAGE })
    .regex(/^\d{1,3}$/, { error: LIMIT_MESSAGE, abort: true })
    .transform(Number)
    .pipe(z.int().min(1, { error: LIMIT_MESSAGE }).max(100, { error: LIMIT_MESSAGE }))
    .default(20)
    .meta({ description });

/** An opaque `cursor` in a query string. */
export const cursorQuery = (maxLength = 2048, description = 'The nextCursor of the previous page; opaque.') =>
  z
    .string({ error: 'cursor must be a string' })
    .min(1, { error: 'cursor must not be empty' })
    .max(maxLength, { error: 'cursor is too long' })
    .optional()
    .meta({ description });

/** `limit` (1..100, default 20) and an opaque `cursor`: spread into a strict query object. */
export const paginationShape = { limit: limitQuery(), cursor: cursorQuery() };

/** A filter on an event type's key. */
export const eventTypeKeyFilter = () =>
  z
    .string({ error: 'type must be a string' })
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'type must be an event type key such as birthday' })
    .optional()
    .meta({ description: 'Only notifications of this event type (its key).', examples: ['birthday'] });

/** A filter on one user. */
export const userIdFilter = () =>
  z
    .string({ error: 'userId must be a string' })
    .regex(UUID_PATTERN, { error: 'userId must be a user id (a UUID)' })
    .optional()
    .meta({ description: 'Only this user’s notifications.' });

/** `{ items, nextCursor }` of a listing. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
    })
    .strict();

/** An ISO-8601 instant in a query string, as epoch ms. */
export const instantQuery = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), {
      error: `${field} must be an ISO-8601 instant such as 2026-03-14T09:00:00Z`,
    })
    .transform((value) => Date.parse(value));

/** Read-only fields in response schemas. */
export const readOnly = (description: string) => ({ description, readOnly: true });
