import { NotFoundError } from '#commons/errors';
import { UUID_PATTERN } from '#domain/ids';
import type { ManageUsers } from '#use-cases/manage-users.use-case';
import type { StoredUser } from '#domain/user';
import {
  etagOf,
  expectedVersionOf,
  json,
  noContent,
  parseJsonBody,
  parseQuery,
  type HttpResponse,
} from '../http';
import type { Route, RouteRequest } from '../router';
import {
  ListUsersQuerySchema,
  UserPatchSchema,
  UserProfileSchema,
  UserSchema,
  UserListSchema,
  toUserJson,
  type UserJson,
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

const TAG = 'users';

export function userRoutes(manageUsers: ManageUsers): Route[] {
  return [
    {
      method: 'POST',
      path: USERS_PATH,
      doc: {
        summary: 'Create a user',
        description: 'Schedules the birthday message for 09:00 local time on the next birthday.',
        tag: TAG,
        body: UserProfileSchema,
        responses: {
          201: {
            description: 'Created',
            schema: UserSchema,
            headers: { location: 'The new user', etag: 'Its version' },
          },
        },
        errors: [400, 413, 415],
      },
      handler: async ({ event, requestId }) => {
        const user = await manageUsers.create(parseJsonBody(event, UserProfileSchema), requestId);
        const after = toUserJson(user);
        return {
          ...json(201, after, { location: `${USERS_PATH}/${user.id}`, etag: etagOf(user.version) }),
          audit: { resource: 'user', resourceId: user.id, action: 'create', after },
        };
      },
    },
    {
      method: 'GET',
      path: USERS_PATH,
      doc: {
        summary: 'List users',
        tag: TAG,
        query: ListUsersQuerySchema,
        responses: { 200: { description: 'One page, in creation order', schema: UserListSchema } },
        errors: [400],
      },
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
      doc: {
        summary: 'Show a user',
        tag: TAG,
        responses: {
          200: {
            description: 'The user',
            schema: UserSchema,
            headers: { etag: 'Its version, for If-Match' },
          },
        },
        errors: [404],
      },
      handler: async (request) => {
        const user = await manageUsers.get(userIdOf(request));
        return json(200, toUserJson(user), { etag: etagOf(user.version) });
      },
    },
    {
      method: 'PUT',
      path: `${USERS_PATH}/{id}`,
      doc: {
        summary: 'Replace a user',
        description: 'Reschedules; a notification already queued for the old birthday or zone is cancelled.',
        tag: TAG,
        body: UserProfileSchema,
        responses: { 200: { description: 'The user after the change', schema: UserSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const id = userIdOf(request);
        const profile = parseJsonBody(request.event, UserProfileSchema);
        const before = toUserJson(await manageUsers.get(id));
        const user = await manageUsers.replace(
          id,
          profile,
          request.requestId,
          expectedVersionOf(request.event),
        );
        return changed(user, before);
      },
    },
    {
      method: 'PATCH',
      path: `${USERS_PATH}/{id}`,
      doc: {
        summary: 'Change some fields of a user',
        description: 'Reschedules like PUT.',
        tag: TAG,
        body: UserPatchSchema,
        responses: { 200: { description: 'The user after the change', schema: UserSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const id = userIdOf(request);
        const changes = parseJsonBody(request.event, UserPatchSchema);
        const before = toUserJson(await manageUsers.get(id));
        const user = await manageUsers.patch(
          id,
          changes,
          request.requestId,
          expectedVersionOf(request.event),
        );
        return changed(user, before);
      },
    },
    {
      method: 'DELETE',
      path: `${USERS_PATH}/{id}`,
      doc: {
        summary: 'Delete a user',
        description: 'Nothing more is ever sent to this user; a queued notification is cancelled.',
        tag: TAG,
        responses: { 204: { description: 'Deleted' } },
        errors: [404, 412],
      },
      handler: async (request) => {
        const id = userIdOf(request);
        const before = toUserJson(await manageUsers.get(id));
        await manageUsers.delete(id, expectedVersionOf(request.event));
        return { ...noContent(), audit: { resource: 'user', resourceId: id, action: 'delete', before } };
      },
    },
  ];
}

function changed(user: StoredUser, before: UserJson): HttpResponse {
  const after = toUserJson(user);
  return {
    ...json(200, after, { etag: etagOf(user.version) }),
    audit: { resource: 'user', resourceId: user.id, action: 'update', before, after },
  };
}
