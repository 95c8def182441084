import type { ManageUsers } from '#use-cases/manage-users.use-case';
import { etagOf, expectedVersionOf, json, parseJsonBody } from '../http';
import type { Route } from '../router';
import { PreferencesBodySchema, PreferencesSchema, toPreferencesJson } from '../schemas/event-model.schema';
import { withEventModelProblems } from './event-model-problems';
import { userIdOf } from './user-events.routes';

const PATH = '/v1/users/{id}/preferences';
const TAG = 'preferences';

/** `/v1/users/{id}/preferences`: opt-outs per event type and an own send time. */
export function preferencesRoutes(manageUsers: ManageUsers): Route[] {
  const routes: Route[] = [
    {
      method: 'PUT',
      path: PATH,
      doc: {
        summary: 'Replace a user’s preferences',
        description:
          'Honoured at delivery time, also for notifications already queued: an opted-out type is cancelled, a new send time reschedules every event of the user.',
        tag: TAG,
        body: PreferencesBodySchema,
        responses: { 200: { description: 'Saved', schema: PreferencesSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const id = userIdOf(request);
        const body = parseJsonBody(request.event, PreferencesBodySchema);
        const before = await manageUsers.get(id);
        const user = await manageUsers.setPreferences(
          id,
          { optOut: body.optOut, ...(typeof body.sendAt === 'string' ? { sendAt: body.sendAt } : {}) },
          request.requestId,
          expectedVersionOf(request.event),
        );
        const after = toPreferencesJson(user.preferences);
        return {
          ...json(200, after, { etag: etagOf(user.version) }),
          audit: {
            resource: 'user-preferences',
            resourceId: id,
            action: 'update',
            before: toPreferencesJson(before.preferences),
            after,
          },
        };
      },
    },
    {
      method: 'GET',
      path: PATH,
      doc: {
        summary: 'Show a user’s preferences',
        tag: TAG,
        responses: { 200: { description: 'The preferences', schema: PreferencesSchema } },
        errors: [404],
      },
      handler: async (request) => {
        const user = await manageUsers.get(userIdOf(request));
        return json(200, toPreferencesJson(user.preferences), { etag: etagOf(user.version) });
      },
    },
  ];
  return routes.map((route) => ({ ...route, handler: withEventModelProblems(route.handler) }));
}
