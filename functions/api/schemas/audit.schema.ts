import { z } from 'zod';
import { instantQuery, pageOf, paginationShape } from './common.schema';

/** Longest range one audit listing may cover, in days. */
export const MAX_AUDIT_RANGE_DAYS = 92;
const DAY_MS = 86_400_000;

export const ListAuditQuerySchema = z
  .object({
    ...paginationShape,
    from: instantQuery('from')
      .optional()
      .meta({ description: 'Oldest instant (ISO-8601); default: 7 days before `to`.' }),
    to: instantQuery('to').optional().meta({ description: 'Newest instant (ISO-8601); default: now.' }),
    keyId: z.string().max(64).optional().meta({ description: 'Only writes made with this API key id.' }),
    resource: z
      .string()
      .max(64)
      .optional()
      .meta({ description: 'Only this kind of resource (`user`, `api-key`, …).' }),
    resourceId: z.string().max(200).optional().meta({ description: 'Only this resource.' }),
  })
  .strict()
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    error: 'from must not be after to',
    path: ['from'],
  })
  .refine(
    (query) =>
      query.from === undefined ||
      query.to === undefined ||
      query.to - query.from <= MAX_AUDIT_RANGE_DAYS * DAY_MS,
    { error: `the range from..to must not exceed ${MAX_AUDIT_RANGE_DAYS} days`, path: ['from'] },
  );

export const AuditEntrySchema = z
  .object({
    id: z.string().meta({ description: 'Time-ordered id of the entry.' }),
    at: z.iso.datetime(),
    keyId: z
      .string()
      .meta({ description: 'The API key id that made the write (`bootstrap` for ADMIN_API_KEY).' }),
    requestId: z.string(),
    method: z.string(),
    path: z.string(),
    status: z.int(),
    resource: z.string(),
    resourceId: z.string(),
    action: z.enum(['create', 'update', 'delete', 'command']),
    before: z
      .unknown()
      .optional()
      .meta({ description: 'The resource before the write, as the API showed it.' }),
    after: z.unknown().optional().meta({ description: 'The resource after the write.' }),
  })
  .strict()
  .meta({ description: 'One admin write.' });

export const AuditListSchema = pageOf(AuditEntrySchema);
