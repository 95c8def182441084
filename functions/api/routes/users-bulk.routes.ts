import type { BulkOperation, BulkUsers } from '#use-cases/bulk-users.use-case';
import { json, readJsonBody } from '../http';
import { validationProblem } from '../problem';
import type { Route } from '../router';
import {
  BULK_MAX_BODY_BYTES,
  BulkEnvelopeSchema,
  BulkItemSchema,
  BulkRequestSchema,
  BulkResponseSchema,
  type BulkItem,
  type BulkResultJson,
} from '../schemas/users-bulk.schema';

/** The validated item as an operation (the schema's refinements make `undefined` impossible). */
function operationOf(item: BulkItem): BulkOperation | undefined {
  const { op, id, user } = item;
  if (op === 'create' && user) return { op, user, ...(id === undefined ? {} : { id }) };
  if (op === 'upsert' && user && id !== undefined) return { op, id, user };
  if (op === 'delete' && id !== undefined) return { op, id };
  return undefined;
}

export const USERS_BULK_PATH = '/v1/users/bulk';

export function usersBulkRoutes(bulkUsers: BulkUsers): Route[] {
  return [
    {
      method: 'POST',
      path: USERS_BULK_PATH,
      handler: async ({ event, requestId }) => {
        // The envelope first: a problem there (not an array, over 1,000) is a 400 and nothing runs.
        const envelope = BulkEnvelopeSchema.safeParse(readJsonBody(event, BULK_MAX_BODY_BYTES));
        if (!envelope.success) throw validationProblem(envelope.error.issues, 'body');

        const results: BulkResultJson[] = [];
        const valid: { index: number; operation: BulkOperation }[] = [];
        envelope.data.items.forEach((raw, index) => {
          const parsed = BulkItemSchema.safeParse(raw);
          const operation = parsed.success ? operationOf(parsed.data) : undefined;
          if (operation) {
            valid.push({ index, operation });
            return;
          }
          const op = typeof raw === 'object' && raw !== null && 'op' in raw ? String(raw.op) : '';
          const errors = parsed.success
            ? [{ path: 'op', message: 'op does not fit id and user' }] // the refinements rule this out
            : (validationProblem(parsed.error.issues, 'body').problem.errors ?? []);
          results[index] = { index, op, status: 400, errors };
        });

        const outcomes = await bulkUsers.apply(
          valid.map(({ operation }) => operation),
          requestId,
        );
        valid.forEach(({ index, operation }, position) => {
          const outcome = outcomes[position];
          if (!outcome) return;
          results[index] = {
            index,
            op: operation.op,
            status: outcome.status,
            ...(outcome.id === undefined ? {} : { id: outcome.id }),
            ...(outcome.errors === undefined ? {} : { errors: outcome.errors }),
          };
        });

        const summary: Record<string, number> = {};
        for (const result of results)
          summary[String(result.status)] = (summary[String(result.status)] ?? 0) + 1;
        return {
          ...json(200, { results, summary }),
          audit: {
            resource: 'user-bulk',
            resourceId: requestId,
            action: 'command',
            after: {
              summary,
              changed: results
                .filter((result) => result.status < 300)
                .map(({ op, status, id }) => ({ op, status, id })),
            },
          },
        };
      },
      doc: {
        summary: 'Create, upsert and delete users in bulk',
        description:
          'Up to 1,000 operations, validated and applied one by one exactly as the single routes ' +
          'do (operations on one id in their order, the rest side by side). Answers 200 with one ' +
          'result per operation, whatever each result; only a problem with the body itself (not ' +
          'JSON, no items, more than 1,000) is a 400, and then nothing is done. Body up to 1 MiB.',
        tag: 'users',
        body: BulkRequestSchema,
        responses: {
          200: { description: 'One result per operation, in order.', schema: BulkResponseSchema },
        },
        errors: [400, 413, 415],
      },
    },
  ];
}
