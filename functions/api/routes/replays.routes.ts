import { z } from 'zod';
import { NotFoundError } from '#commons/errors';
import { MAX_REPLAY_OCCURRENCES, MAX_REPLAY_WINDOW_DAYS, REPLAY_JOB_ID } from '#domain/replay-job';
import { ReplayTooLargeError, type ReplayWindow } from '#use-cases/replay-window.use-case';
import { json, parseJsonBody, parseQuery } from '../http';
import { ProblemError, problem } from '../problem';
import type { Route, RouteRequest } from '../router';
import {
  CreateReplaySchema,
  ListReplaysQuerySchema,
  ReplayDryRunSchema,
  ReplayJobListSchema,
  ReplayJobSchema,
  statusesOf,
  toReplayJobJson,
  toReplayRequestJson,
} from '../schemas/replay.schema';

export const REPLAYS_PATH = '/v1/replays';
const TAG = 'replays';

function jobIdOf({ params }: RouteRequest): string {
  const id = params.id ?? '';
  // Only ids this service could have issued reach storage; anything else does not exist.
  if (!REPLAY_JOB_ID.test(id)) throw new NotFoundError('replay job', id);
  return id;
}

const tooLarge = (limit: number): ProblemError =>
  new ProblemError(
    problem(
      'unprocessable',
      `The window holds more than ${limit} notifications, the most one replay takes; nothing was started. ` +
        'Narrow the window (from/to) or filter by type or userId, and replay the parts one by one.',
    ),
  );

/** `/v1/replays`: send a window's failed, skipped (or, forced, delivered) notifications again. */
export function replayRoutes(replays: ReplayWindow): Route[] {
  return [
    {
      method: 'POST',
      path: REPLAYS_PATH,
      doc: {
        summary: 'Replay a window of notifications',
        description:
          'Finds the notifications due in [from, to) (at most ' +
          `${MAX_REPLAY_WINDOW_DAYS} days; optionally of one type and one user) and queues again the ` +
          'ones in the requested statuses (default failed and skipped), each with the same webhook-id. ' +
          'Delivered ones are sent again only with `force: true`; queued, sending and retrying ones ' +
          `never. One job takes at most ${MAX_REPLAY_OCCURRENCES} notifications: a larger window ` +
          'answers 422 and starts nothing. `dryRun: true` answers 200 with the counts and changes ' +
          'nothing. The job id is derived from the request: the same request again answers the same ' +
          'job (200) and starts nothing, and a job requeues each notification at most once.',
        tag: TAG,
        body: CreateReplaySchema,
        responses: {
          200: {
            description: 'A dry run’s counts, or the existing job of this same request',
            schema: z.union([ReplayDryRunSchema, ReplayJobSchema]),
            headers: { location: 'The job (not for a dry run)' },
          },
          202: {
            description: 'The job was created and runs in the background; follow Location',
            schema: ReplayJobSchema,
            headers: { location: 'The job' },
          },
        },
        errors: [400, 413, 415, 422],
      },
      handler: async (request) => {
        const body = parseJsonBody(request.event, CreateReplaySchema);
        const statuses = statusesOf(body);
        const input = {
          from: body.from,
          to: body.to,
          ...(body.type === undefined ? {} : { eventKey: body.type }),
          ...(body.userId === undefined ? {} : { userId: body.userId }),
          ...(statuses === undefined ? {} : { statuses }),
          ...(body.force === undefined ? {} : { force: body.force }),
        };
        try {
          if (body.dryRun === true) {
            const preview = await replays.preview(input);
            return json(200, {
              dryRun: true,
              id: preview.id,
              request: toReplayRequestJson(preview.request),
              counts: preview.counts,
              limit: replays.limit,
            });
          }
          const { job, created } = await replays.start(input, request.requestId);
          const answer = toReplayJobJson(job);
          const response = json(created ? 202 : 200, answer, { location: `${REPLAYS_PATH}/${job.id}` });
          return created
            ? {
                ...response,
                audit: { resource: 'replay', resourceId: job.id, action: 'create', after: answer },
              }
            : response;
        } catch (error) {
          if (error instanceof ReplayTooLargeError) throw tooLarge(error.limit);
          throw error;
        }
      },
    },
    {
      method: 'GET',
      path: REPLAYS_PATH,
      doc: {
        summary: 'List replay jobs',
        tag: TAG,
        query: ListReplaysQuerySchema,
        responses: { 200: { description: 'One page, oldest first', schema: ReplayJobListSchema } },
        errors: [400],
      },
      handler: async ({ event }) => {
        const { limit, cursor } = parseQuery(event, ListReplaysQuerySchema);
        const page = await replays.list(limit, cursor);
        return json(200, { items: page.items.map(toReplayJobJson), nextCursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      path: `${REPLAYS_PATH}/{id}`,
      doc: {
        summary: 'Show a replay job and its progress',
        tag: TAG,
        responses: { 200: { description: 'The job: status, counts so far, error', schema: ReplayJobSchema } },
        errors: [404],
      },
      handler: async (request) => json(200, toReplayJobJson(await replays.get(jobIdOf(request)))),
    },
  ];
}
