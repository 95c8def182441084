import { NotFoundError } from '#commons/errors';
import { UUID_PATTERN } from '#domain/ids';
import type { ManageUsers } from '#use-cases/manage-users.use-case';
import { json, noContent, parseJsonBody, parseQuery } from '../http';
import type { Route, RouteRequest } from '../router';
import {
  ListUsersQuerySchema,
  UserPatchSchema,
  UserProfileSchema,
  toUserJson,
  type UserListJson,
} from '../schemas/user.schema';

export const USERS_PATH = '/v1/users';

/**
 * Only ids this service could have issued reach storage; anything else is a user that does not
 * exist (404), not a malformed request.
 */
function userIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  if (!UUID_PATTERN.test(id)) throw new NotFoundError('user', id);
  return id;
}

export function userRoutes(manageUsers: ManageUsers): Route[] {
  return [
    {
      method: 'POST',
      path: USERS_PATH,
      handler: async ({ event, requestId }) => {
        const user = await manageUsers.create(parseJsonBody(event, UserProfileSchema), requestId);
        return json(201, toUserJson(user), { location: `${USERS_PATH}/${user.id}` });
      },
    },
    {
      method: 'GET',
      path: USERS_PATH,
      handler: async ({ event }) => {
        const { limit, cursor } = parseQuery(event, ListUsersQuerySchema);
        const page = await manageUsers.list(limit, cursor);
        const body: UserListJson = { items: page.items.map(toUserJson), nextCursor: page.nextCursor };
        return json(200, body);
      },
    },
    {
      method: 'GET',
      path: `${USERS_PATH}/{id}`,
      handler: async (request) => json(200, toUserJson(await manageUsers.get(userIdOf(request)))),
    },
    {
      method: 'PUT',
      path: `${USERS_PATH}/{id}`,
      handler: async (request) => {
        const id = userIdOf(request);
        const profile = parseJsonBody(request.event, UserProfileSchema);
        return json(200, toUserJson(await manageUsers.replace(id, profile, request.requestId)));
      },
    },
    {
      method: 'PATCH',
      path: `${USERS_PATH}/{id}`,
      handler: async (request) => {
        const id = userIdOf(request);
        const changes = parseJsonBody(request.event, UserPatchSchema);
        return json(200, toUserJson(await manageUsers.patch(id, changes, request.requestId)));
      },
    },
    {
      method: 'DELETE',
      path: `${USERS_PATH}/{id}`,
      handler: async (request) => {
        await manageUsers.delete(userIdOf(request));
        return noContent();
      },
    },
  ];
}
