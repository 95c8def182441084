import type { Clock } from '#commons/clock';
import { NotFoundError } from '#commons/errors';
import { UUID_PATTERN } from '#domain/ids';
import {
  ErasureIncompleteError,
  MAX_EXPORTED_NOTIFICATIONS,
  type UserPrivacy,
} from '#use-cases/user-privacy.use-case';
import { json, type HttpResponse } from '../http';
import { ProblemError, problem } from '../problem';
import type { Route, RouteRequest } from '../router';
import { ErasureSchema, toErasureJson, toUserExportJson, UserExportSchema } from '../schemas/privacy.schema';

const PATH = '/v1/users/{id}';
const TAG = 'privacy';

function userIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  if (!UUID_PATTERN.test(id)) throw new NotFoundError('user', id);
  return id;
}

/**
 * Privacy (issue 3, item 7): export everything stored about a user, erase it. Both are for admin
 * keys only: the export is personal data in bulk, which an on-call viewer has no need of.
 */
export function privacyRoutes(privacy: UserPrivacy, clock: Clock): Route[] {
  return [
    {
      method: 'GET',
      path: `${PATH}/export`,
      access: 'admin',
      doc: {
        summary: 'Export everything stored about a user',
        description: `One JSON document: the profile and preferences, every event, every notification with all its attempts, and the audit entries about the user. At most ${MAX_EXPORTED_NOTIFICATIONS} notifications (and audit entries), the oldest first; \`notificationsTruncated\` says when more exist. Admin keys only.`,
        tag: TAG,
        responses: { 200: { description: 'The export', schema: UserExportSchema } },
        errors: [404],
      },
      handler: async (request) => {
        const data = await privacy.export(userIdOf(request));
        return json(200, toUserExportJson(data, clock.now()), {
          'content-disposition': `attachment; filename="user-${data.user.id}.json"`,
        });
      },
    },
    {
      method: 'POST',
      path: `${PATH}/erase`,
      doc: {
        summary: 'Erase a user and everything stored about them',
        description:
          'Deletes the user, their events and preferences, every notification and attempt; a notification still queued is never sent. ' +
          'Audit entries about the user keep who, when, what and the ids; their before/after are removed. ' +
          'Idempotent: a repeat finishes an interrupted erase (200) or finds nothing left (404; also after a 409 whose notification was dropped unsent). ' +
          '409 while an attempt to the user’s webhook is in flight (everything else is erased): repeat after Retry-After. ' +
          'Responses kept for Idempotency-Key (24 h) expire with their key. Not undoable.',
        tag: TAG,
        responses: { 200: { description: 'Erased', schema: ErasureSchema } },
        errors: [404, 409],
      },
      handler: async (request) => {
        const id = userIdOf(request);
        let summary;
        try {
          summary = await privacy.erase(id);
        } catch (error) {
          if (!(error instanceof ErasureIncompleteError)) throw error;
          const seconds = Math.ceil(error.retryAfterMs / 1000);
          throw new ProblemError(
            problem(
              'conflict',
              `${error.pending} notification(s) of this user are being sent right now; everything else is erased. Repeat the erase in ${seconds} s.`,
            ),
            { 'retry-after': String(seconds) },
          );
        }
        const response: HttpResponse = json(200, toErasureJson(summary, clock.now()));
        // The erase itself is audited without personal data: ids only, no before/after.
        return { ...response, audit: { resource: 'user', resourceId: id, action: 'delete' } };
      },
    },
  ];
}
