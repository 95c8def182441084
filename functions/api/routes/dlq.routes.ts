import { NotFoundError } from '#commons/errors';
import type { ManageDeadLetters } from '#use-cases/manage-dead-letters.use-case';
import { json, noContent, parseJsonBody, parseQuery } from '../http';
import type { Route } from '../router';
import {
  DeadLetterListSchema,
  ListDlqQuerySchema,
  MESSAGE_ID_PATTERN,
  RedriveRequestSchema,
  RedriveResponseSchema,
  toDeadLetterJson,
  toRedriveResultJson,
} from '../schemas/dlq.schema';

export const DLQ_PATH = '/v1/dlq';

export function dlqRoutes(deadLetters: ManageDeadLetters): Route[] {
  return [
    {
      method: 'GET',
      path: DLQ_PATH,
      handler: async ({ event }) => {
        const { limit } = parseQuery(event, ListDlqQuerySchema);
        const { items, approximateCount } = await deadLetters.list(limit);
        return json(200, { items: items.map(toDeadLetterJson), approximateCount });
      },
      doc: {
        summary: 'List dead letters',
        description:
          'Messages are received, held for a moment and released: listing never removes one. ' +
          'SQS has no order and no cursor; `approximateCount` says how many there are.',
        tag: 'dlq',
        query: ListDlqQuerySchema,
        responses: { 200: { description: 'Up to `limit` messages.', schema: DeadLetterListSchema } },
        errors: [400],
      },
    },
    {
      method: 'POST',
      path: `${DLQ_PATH}/redrive`,
      handler: async ({ event }) => {
        const selection = parseJsonBody(event, RedriveRequestSchema);
        const { results, remaining } = await deadLetters.redrive(selection);
        const body = { results: results.map(toRedriveResultJson), remaining };
        const redriven = results.filter((result) => result.status === 200).length;
        return {
          ...json(200, body),
          audit: {
            resource: 'dlq',
            resourceId: 'redrive',
            action: 'command',
            before: selection,
            after: {
              redriven,
              results: body.results.map(({ messageId, status }) => ({ messageId, status })),
            },
          },
        };
      },
      doc: {
        summary: 'Redrive dead letters to the notifications queue',
        description:
          'A failed notification is queued again with a fresh retry budget and delivered once. ' +
          'Answers one result per message, each with its own HTTP-like status.',
        tag: 'dlq',
        body: RedriveRequestSchema,
        responses: { 200: { description: 'What became of each message.', schema: RedriveResponseSchema } },
        errors: [400, 413, 415],
      },
    },
    {
      method: 'DELETE',
      path: `${DLQ_PATH}/{messageId}`,
      handler: async ({ params }) => {
        const messageId = params.messageId ?? '';
        if (!MESSAGE_ID_PATTERN.test(messageId)) throw new NotFoundError('dead-letter message', messageId);
        const before = await deadLetters.delete(messageId);
        return {
          ...noContent(),
          audit: {
            resource: 'dlq-message',
            resourceId: messageId,
            action: 'delete',
            before: toDeadLetterJson(before),
          },
        };
      },
      doc: {
        summary: 'Delete one dead letter',
        description: 'Its notification stays failed (with a note); a replay can still send it.',
        tag: 'dlq',
        responses: { 204: { description: 'Deleted.' } },
        errors: [404],
      },
    },
  ];
}
