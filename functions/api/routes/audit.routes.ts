import type { Clock } from '#commons/clock';
import type { AuditLog } from '#ports/audit-log';
import { json, parseQuery } from '../http';
import type { Route } from '../router';
import { AuditListSchema, ListAuditQuerySchema, MAX_AUDIT_RANGE_DAYS } from '../schemas/audit.schema';

export const AUDIT_PATH = '/v1/audit';
const DEFAULT_RANGE_MS = 7 * 86_400_000;

/** `GET /v1/audit`: every admin write, newest first, filtered by key, resource and time. */
export function auditRoutes(auditLog: AuditLog, clock: Clock): Route[] {
  return [
    {
      method: 'GET',
      path: AUDIT_PATH,
      doc: {
        summary: 'List the audit log',
        description: `Every admin write (who, what, when, before and after), newest first. A range covers at most ${MAX_AUDIT_RANGE_DAYS} days.`,
        tag: 'audit',
        query: ListAuditQuerySchema,
        responses: { 200: { description: 'One page, newest first', schema: AuditListSchema } },
        errors: [400],
      },
      handler: async ({ event }) => {
        const query = parseQuery(event, ListAuditQuerySchema);
        const to = query.to ?? clock.now();
        const from = query.from ?? to - DEFAULT_RANGE_MS;
        const page = await auditLog.list({
          from,
          to,
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
          ...(query.keyId === undefined ? {} : { keyId: query.keyId }),
          ...(query.resource === undefined ? {} : { resource: query.resource }),
          ...(query.resourceId === undefined ? {} : { resourceId: query.resourceId }),
        });
        return json(200, page);
      },
    },
  ];
}
