import { z } from 'zod';

/** Shared pieces of request and response schemas: pagination and time ranges. */

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100';

/** `limit` (1..100, default 20) and an opaque `cursor`: spread into a strict query object. */
export const paginationShape = {
  limit: z
    .string({ error: LIMIT_MESSAGE })
    .regex(/^\d{1,3}$/, { error: LIMIT_MESSAGE, abort: true })
    .transform(Number)
    .pipe(z.int().min(1, { error: LIMIT_MESSAGE }).max(100, { error: LIMIT_MESSAGE }))
    .default(20)
    .meta({ description: 'Page size, 1..100; 20 when absent.' }),
  cursor: z
    .string({ error: 'cursor must be a string' })
    .min(1, { error: 'cursor must not be empty' })
    .max(2048, { error: 'cursor is too long' })
    .optional()
    .meta({ description: 'The nextCursor of the previous page; opaque.' }),
};

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
