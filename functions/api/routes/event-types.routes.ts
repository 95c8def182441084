import { NotFoundError } from '#commons/errors';
import {
  DEFAULT_ROTATION_OVERLAP_HOURS,
  EVENT_TYPE_KEY_PATTERN,
  MAX_ROTATION_OVERLAP_HOURS,
} from '#domain/event-type';
import type { EventType } from '#domain/event-type';
import type { ManageEventTypes, SavedEventType } from '#use-cases/manage-event-types.use-case';
import type { ManageUserEvents } from '#use-cases/manage-user-events.use-case';
import { etagOf, expectedVersionOf, json, noContent, parseJsonBody, type HttpResponse } from '../http';
import { ProblemError, problem } from '../problem';
import type { Route, RouteRequest } from '../router';
import {
  CreateEventTypeSchema,
  EventTypeListSchema,
  EventTypeSchema,
  PatchEventTypeSchema,
  PreviewBodySchema,
  PreviewSchema,
  ReplaceEventTypeSchema,
  SavedEventTypeSchema,
  toEventTypeJson,
  toPreviewJson,
} from '../schemas/event-model.schema';
import {
  RotateSecretBodySchema,
  RotatedSecretSchema,
  toRotatedSecretJson,
} from '../schemas/secret-rotation.schema';
import { withEventModelProblems } from './event-model-problems';

export const EVENT_TYPES_PATH = '/v1/event-types';
const TAG = 'event-types';

/** A key no type can have is a type that does not exist (404), not a malformed request. */
function keyOf({ params }: RouteRequest): string {
  const key = params.key ?? '';
  if (!EVENT_TYPE_KEY_PATTERN.test(key)) throw new NotFoundError('event type', key);
  return key;
}

/** Where a route's body is optional, an empty one (whatever its content type) takes the defaults. */
const hasBody = ({ event }: RouteRequest): boolean => (event.body ?? '') !== '';

const savedJson = (
  status: number,
  saved: SavedEventType,
  headers: Record<string, string> = {},
): HttpResponse => ({
  ...json(
    status,
    {
      ...toEventTypeJson(saved.type),
      ...(saved.newSecret === undefined ? {} : { webhookSecret: saved.newSecret }),
    },
    { etag: etagOf(saved.type.version), ...headers },
  ),
  ...(saved.newSecret === undefined ? {} : { oneTimeSecret: true }),
});

/** 200 with the saved type, audited as an update from `before` (PUT and PATCH). */
const updatedJson = (key: string, before: EventType, saved: SavedEventType): HttpResponse => ({
  ...savedJson(200, saved),
  audit: {
    resource: 'event-type',
    resourceId: key,
    action: 'update',
    before: toEventTypeJson(before),
    after: toEventTypeJson(saved.type),
  },
});

/** `/v1/event-types`: built-in and custom event types, and the template preview. */
export function eventTypeRoutes(manage: ManageEventTypes, userEvents: ManageUserEvents): Route[] {
  const routes: Route[] = [
    {
      method: 'POST',
      path: EVENT_TYPES_PATH,
      doc: {
        summary: 'Create a custom event type',
        description:
          'With a webhookUrl, the type gets its own whsec_ secret: this answer is the only time it is shown.',
        tag: TAG,
        body: CreateEventTypeSchema,
        responses: {
          201: { description: 'Created', schema: SavedEventTypeSchema, headers: { location: 'The type' } },
        },
        errors: [400, 409, 413, 415],
      },
      handler: async ({ event }) => {
        const { key, ...definition } = parseJsonBody(event, CreateEventTypeSchema);
        const saved = await manage.create(key, definition);
        return {
          ...savedJson(201, saved, { location: `${EVENT_TYPES_PATH}/${key}` }),
          audit: {
            resource: 'event-type',
            resourceId: key,
            action: 'create',
            after: toEventTypeJson(saved.type),
          },
        };
      },
    },
    {
      method: 'GET',
      path: EVENT_TYPES_PATH,
      doc: {
        summary: 'List event types',
        description: 'The built-ins first (as stored, or their defaults), then custom types by key.',
        tag: TAG,
        responses: { 200: { description: 'Every type', schema: EventTypeListSchema } },
      },
      handler: async () => json(200, { items: (await manage.list()).map(toEventTypeJson) }),
    },
    {
      method: 'GET',
      path: `${EVENT_TYPES_PATH}/{key}`,
      doc: {
        summary: 'Show an event type',
        tag: TAG,
        responses: { 200: { description: 'The type (never its secret)', schema: EventTypeSchema } },
        errors: [404],
      },
      handler: async (request) => {
        const type = await manage.get(keyOf(request));
        return json(200, toEventTypeJson(type), { etag: etagOf(type.version) });
      },
    },
    {
      method: 'PUT',
      path: `${EVENT_TYPES_PATH}/{key}`,
      doc: {
        summary: 'Replace an event type’s definition',
        description:
          'Also for built-ins: the stored definition then overrides the default. Takes effect for every notification not yet delivered, queued ones included.',
        tag: TAG,
        body: ReplaceEventTypeSchema,
        responses: { 200: { description: 'Saved', schema: SavedEventTypeSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const key = keyOf(request);
        const { key: bodyKey, ...definition } = parseJsonBody(request.event, ReplaceEventTypeSchema);
        if (bodyKey !== undefined && bodyKey !== key) {
          throw new ProblemError(
            problem('validation-error', 'Invalid body: check key.', [
              { path: 'key', message: `key must be the path's (${key}) or left out` },
            ]),
          );
        }
        const before = await manage.get(key);
        const saved = await manage.replace(key, definition, expectedVersionOf(request.event));
        return updatedJson(key, before, saved);
      },
    },
    {
      method: 'PATCH',
      path: `${EVENT_TYPES_PATH}/{key}`,
      doc: {
        summary: 'Change some fields of an event type',
        description: 'webhookUrl: null removes the type’s own webhook (and its secret).',
        tag: TAG,
        body: PatchEventTypeSchema,
        responses: { 200: { description: 'Saved', schema: SavedEventTypeSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const key = keyOf(request);
        const changes = parseJsonBody(request.event, PatchEventTypeSchema);
        const before = await manage.get(key);
        const saved = await manage.patch(key, changes, expectedVersionOf(request.event));
        return updatedJson(key, before, saved);
      },
    },
    {
      method: 'DELETE',
      path: `${EVENT_TYPES_PATH}/{key}`,
      doc: {
        summary: 'Delete a custom event type',
        description:
          'Built-ins cannot be deleted (422; disable them instead); a type users have events of neither (409).',
        tag: TAG,
        responses: { 204: { description: 'Deleted' } },
        errors: [404, 409, 412, 422],
      },
      handler: async (request) => {
        const key = keyOf(request);
        const before = await manage.delete(key, expectedVersionOf(request.event));
        return {
          ...noContent(),
          audit: {
            resource: 'event-type',
            resourceId: key,
            action: 'delete',
            before: toEventTypeJson(before),
          },
        };
      },
    },
    {
      method: 'POST',
      path: `${EVENT_TYPES_PATH}/{key}/preview`,
      // Renders only; nothing is stored or sent.
      access: 'viewer',
      doc: {
        summary: 'Preview a template for a user',
        description:
          'Renders the type’s template (or an unsaved `template`) for a user and one of their events (default: the birthday), on the event’s next local date (or `date`).',
        tag: TAG,
        body: PreviewBodySchema,
        responses: { 200: { description: 'The rendered message', schema: PreviewSchema } },
        errors: [400, 404, 413, 415],
      },
      handler: async (request) => {
        const key = keyOf(request);
        const input = parseJsonBody(request.event, PreviewBodySchema);
        return json(200, toPreviewJson(await userEvents.preview(key, input)));
      },
    },
    {
      method: 'POST',
      path: `${EVENT_TYPES_PATH}/{key}/rotate-secret`,
      doc: {
        summary: 'Rotate the secret of an event type’s own webhook',
        description:
          `A new whsec_ secret, shown in this answer only. The old one keeps signing too for overlapHours (default ${DEFAULT_ROTATION_OVERLAP_HOURS}, at most ${MAX_ROTATION_OVERLAP_HOURS}): meanwhile every message carries both signatures, so receivers on either secret verify it (Standard Webhooks). ` +
          'Only for types with a webhookUrl of their own (409 otherwise: the global secret is the deployment’s; see docs/security.md). The body may be left out.',
        tag: TAG,
        body: RotateSecretBodySchema,
        responses: { 200: { description: 'Rotated', schema: RotatedSecretSchema } },
        errors: [400, 404, 409, 412, 413, 415],
      },
      handler: async (request) => {
        const key = keyOf(request);
        const { overlapHours = DEFAULT_ROTATION_OVERLAP_HOURS } = hasBody(request)
          ? parseJsonBody(request.event, RotateSecretBodySchema)
          : {};
        const rotated = await manage.rotateSecret(key, overlapHours, expectedVersionOf(request.event));
        return {
          ...json(200, toRotatedSecretJson(rotated.type, rotated.newSecret, rotated.overlapEndsAt), {
            etag: etagOf(rotated.type.version),
          }),
          oneTimeSecret: true,
          // Secrets never reach the audit log: the type as the API shows it, before and after.
          audit: {
            resource: 'event-type',
            resourceId: key,
            action: 'command',
            before: toEventTypeJson(rotated.before),
            after: toEventTypeJson(rotated.type),
          },
        };
      },
    },
  ];
  return routes.map((route) => ({ ...route, handler: withEventModelProblems(route.handler) }));
}
