import { NotFoundError } from '#commons/errors';
import type { ViewNotifications } from '#use-cases/notification-log.use-case';
import { etagOf, json, parseQuery } from '../http';
import type { Route } from '../router';
import {
  ListNotificationsQuerySchema,
  NotificationDetailSchema,
  NotificationListSchema,
  toAttemptJson,
  toNotificationJson,
} from '../schemas/notification.schema';

export const NOTIFICATIONS_PATH = '/v1/notifications';

const OCCURRENCE_ID = /^occ_[0-9a-f]{32}$/;

/** The notification log: read-only, so every key (viewer or admin) may use it. */
export function notificationRoutes(notifications: ViewNotifications): Route[] {
  return [
    {
      method: 'GET',
      path: NOTIFICATIONS_PATH,
      handler: async ({ event }) => {
        const query = parseQuery(event, ListNotificationsQuerySchema);
        const page = await notifications.list({
          limit: query.limit,
          ...(query.from === undefined ? {} : { from: query.from }),
          ...(query.to === undefined ? {} : { to: query.to }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.type === undefined ? {} : { eventKey: query.type }),
          ...(query.userId === undefined ? {} : { userId: query.userId }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return json(200, { items: page.items.map(toNotificationJson), nextCursor: page.nextCursor });
      },
      doc: {
        summary: 'List notifications',
        description:
          'Newest due first, through the log indexes (never a scan). Filters combine; the window ' +
          '(from/to, at most 366 days) defaults to the last 31 days up to a day from now.',
        tag: 'notifications',
        query: ListNotificationsQuerySchema,
        responses: { 200: { description: 'One page of notifications.', schema: NotificationListSchema } },
        errors: [400],
      },
    },
    {
      method: 'GET',
      path: `${NOTIFICATIONS_PATH}/{id}`,
      handler: async ({ params }) => {
        const id = params.id ?? '';
        // Only ids this service could have issued reach storage; anything else does not exist.
        if (!OCCURRENCE_ID.test(id)) throw new NotFoundError('notification', id);
        const { occurrence, attempts } = await notifications.get(id);
        return json(
          200,
          { ...toNotificationJson(occurrence), attempts: attempts.map(toAttemptJson) },
          { etag: etagOf(occurrence.version) },
        );
      },
      doc: {
        summary: 'Get one notification with all its attempts',
        tag: 'notifications',
        responses: {
          200: {
            description: 'The notification and every POST made for it.',
            schema: NotificationDetailSchema,
            headers: { etag: 'The notification’s version' },
          },
        },
        errors: [404],
      },
    },
  ];
}
