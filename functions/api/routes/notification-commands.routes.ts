import { NotFoundError } from '#commons/errors';
import type { NotificationCommands } from '#use-cases/notification-commands.use-case';
import { json, parseJsonBody, type HttpResponse } from '../http';
import type { Route, RouteRequest } from '../router';
import { NotificationSchema, RescheduleBodySchema, toNotificationJson } from '../schemas/event-model.schema';
import { withEventModelProblems } from './event-model-problems';
import type { Occurrence } from '#domain/occurrence';

const PATH = '/v1/notifications/{id}';
const TAG = 'notifications';
const OCCURRENCE_ID = /^occ_[0-9a-f]{32}$/;

function notificationIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  if (!OCCURRENCE_ID.test(id)) throw new NotFoundError('notification', id);
  return id;
}

const answer = (id: string, change: { before: Occurrence; after: Occurrence }): HttpResponse => {
  const after = toNotificationJson(change.after);
  return {
    ...json(200, after),
    audit: {
      resource: 'notification',
      resourceId: id,
      action: 'command',
      before: toNotificationJson(change.before),
      after,
    },
  };
};

/** Commands on one pending notification: cancel it, or move its next attempt. */
export function notificationCommandRoutes(commands: NotificationCommands): Route[] {
  const routes: Route[] = [
    {
      method: 'POST',
      path: `${PATH}/cancel`,
      doc: {
        summary: 'Cancel a pending notification',
        description:
          'It is never sent (a scheduled one does not come back for that date). Only pending ones (queued, retrying): 409 otherwise, also while an attempt is in flight.',
        tag: TAG,
        responses: { 200: { description: 'Cancelled', schema: NotificationSchema } },
        errors: [404, 409],
      },
      handler: async (request) => {
        const id = notificationIdOf(request);
        return answer(id, await commands.cancel(id));
      },
    },
    {
      method: 'POST',
      path: `${PATH}/reschedule`,
      doc: {
        summary: 'Move a pending notification’s next attempt',
        description:
          'It keeps its id (the webhook-id) and local date: still at most one delivery. A past instant means now; at most a year ahead.',
        tag: TAG,
        body: RescheduleBodySchema,
        responses: { 200: { description: 'Rescheduled', schema: NotificationSchema } },
        errors: [400, 404, 409, 413, 415],
      },
      handler: async (request) => {
        const id = notificationIdOf(request);
        const { at } = parseJsonBody(request.event, RescheduleBodySchema);
        return answer(id, await commands.reschedule(id, Date.parse(at)));
      },
    },
  ];
  return routes.map((route) => ({ ...route, handler: withEventModelProblems(route.handler) }));
}
