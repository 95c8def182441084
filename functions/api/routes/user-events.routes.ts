import { NotFoundError } from '#commons/errors';
import { UUID_PATTERN } from '#domain/ids';
import { BIRTHDAY_EVENT_ID } from '#domain/user-event';
import type { ManageUserEvents } from '#use-cases/manage-user-events.use-case';
import { etagOf, expectedVersionOf, json, noContent, parseJsonBody } from '../http';
import type { Route, RouteRequest } from '../router';
import {
  CreateUserEventSchema,
  NotificationSchema,
  UserEventListSchema,
  UserEventSchema,
  toNotificationJson,
  toUserEventJson,
} from '../schemas/event-model.schema';
import { withEventModelProblems } from './event-model-problems';

const EVENTS_PATH = '/v1/users/{id}/events';
const TAG = 'user-events';

/** Only ids this service could have issued reach storage; anything else does not exist (404). */
export function userIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  if (!UUID_PATTERN.test(id)) throw new NotFoundError('user', id);
  return id;
}

function eventIdOf({ params }: RouteRequest): string {
  const id = params.eventId ?? '';
  if (id !== BIRTHDAY_EVENT_ID && !UUID_PATTERN.test(id)) throw new NotFoundError('event', id);
  return id;
}

/** `/v1/users/{id}/events`: a user's dated events, the birthday among them, and test sends. */
export function userEventRoutes(manage: ManageUserEvents): Route[] {
  const routes: Route[] = [
    {
      method: 'POST',
      path: EVENTS_PATH,
      doc: {
        summary: 'Add a dated event to a user',
        description:
          'Scheduled, caught up and deduplicated as the birthday is, on its type’s send time (or the user’s). A one-off type (reminder) needs a date whose send time is still ahead.',
        tag: TAG,
        body: CreateUserEventSchema,
        responses: {
          201: { description: 'Created', schema: UserEventSchema, headers: { location: 'The event' } },
        },
        errors: [400, 404, 413, 415, 422],
      },
      handler: async (request) => {
        const userId = userIdOf(request);
        const input = parseJsonBody(request.event, CreateUserEventSchema);
        const created = toUserEventJson(await manage.create(userId, input, request.requestId));
        return {
          ...json(201, created, {
            location: `/v1/users/${userId}/events/${created.id}`,
            etag: etagOf(created.version),
          }),
          audit: {
            resource: 'user-event',
            resourceId: `${userId}/${created.id}`,
            action: 'create',
            after: created,
          },
        };
      },
    },
    {
      method: 'GET',
      path: EVENTS_PATH,
      doc: {
        summary: 'List a user’s events',
        description: 'The birthday first (id `birthday`: the user’s own field), then the other events.',
        tag: TAG,
        responses: { 200: { description: 'Every event of the user', schema: UserEventListSchema } },
        errors: [404],
      },
      handler: async (request) =>
        json(200, { items: (await manage.list(userIdOf(request))).map(toUserEventJson) }),
    },
    {
      method: 'GET',
      path: `${EVENTS_PATH}/{eventId}`,
      doc: {
        summary: 'Show one of a user’s events',
        tag: TAG,
        responses: { 200: { description: 'The event', schema: UserEventSchema } },
        errors: [404],
      },
      handler: async (request) => {
        const found = await manage.get(userIdOf(request), eventIdOf(request));
        return json(200, toUserEventJson(found), { etag: etagOf(found.version) });
      },
    },
    {
      method: 'DELETE',
      path: `${EVENTS_PATH}/{eventId}`,
      doc: {
        summary: 'Delete one of a user’s events',
        description:
          'Nothing more is sent for it (a queued notification is cancelled at delivery). The birthday cannot be deleted here (422).',
        tag: TAG,
        responses: { 204: { description: 'Deleted' } },
        errors: [404, 412, 422],
      },
      handler: async (request) => {
        const userId = userIdOf(request);
        const before = await manage.delete(userId, eventIdOf(request), expectedVersionOf(request.event));
        return {
          ...noContent(),
          audit: {
            resource: 'user-event',
            resourceId: `${userId}/${before.id}`,
            action: 'delete',
            before: toUserEventJson(before),
          },
        };
      },
    },
    {
      method: 'POST',
      path: `${EVENTS_PATH}/{eventId}/send`,
      doc: {
        summary: 'Send one event now (a test send)',
        description:
          'A notification of its own, marked manual (`data.manual: true`), never counted as the year’s: the scheduled one still goes out. Its id derives from the request id (x-request-id), so retrying the request with the same id does not send twice. Sent regardless of opt-outs and a disabled type.',
        tag: TAG,
        responses: { 202: { description: 'Queued for sending now', schema: NotificationSchema } },
        errors: [404],
      },
      handler: async (request) => {
        const userId = userIdOf(request);
        const eventId = eventIdOf(request);
        const notification = toNotificationJson(await manage.sendNow(userId, eventId, request.requestId));
        return {
          ...json(202, notification, { location: `/v1/notifications/${notification.id}` }),
          audit: {
            resource: 'notification',
            resourceId: notification.id,
            action: 'command',
            after: notification,
          },
        };
      },
    },
  ];
  return routes.map((route) => ({ ...route, handler: withEventModelProblems(route.handler) }));
}
