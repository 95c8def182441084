import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ApiKeySchema } from '#api/schemas/api-key.schema';
import type { CircuitListSchema } from '#api/schemas/circuit.schema';
import type {
  DeadLetterListSchema,
  RedriveRequestSchema,
  RedriveResponseSchema,
} from '#api/schemas/dlq.schema';
import type { MetricsSchema } from '#api/schemas/metrics.schema';
import type { BulkResponseSchema } from '#api/schemas/users-bulk.schema';
import type {
  NotificationDetailSchema,
  NotificationListSchema,
  OCCURRENCE_STATUSES,
} from '#api/schemas/notification.schema';
import type { CreateReplaySchema, ReplayDryRunSchema, ReplayJobSchema } from '#api/schemas/replay.schema';
import type * as Console from '#api/answer-types';

/*
 * functions/api/answer-types.ts (the console's and the CLI's types of the API's answers) copies
 * the API's answer shapes by hand: deriving them from the zod
 * schemas would make the console's tsconfig (DOM, no Node types) check the schemas' imports,
 * which reach node:crypto and Buffer. These checks run under the root tsconfig instead
 * (`npx tsc --noEmit`, `npm run typecheck`): every answer the API can give must fit the type the
 * console reads it as (the console may read fewer fields), and what the console sends must be
 * a request the schema accepts. They cost nothing at run time.
 */

type Answer<Schema extends z.ZodType> = z.output<Schema>;
type Request<Schema extends z.ZodType> = z.input<Schema>;

describe('the console’s API types (checked by tsc)', () => {
  it('given the API’s answer schemas, then each answer fits the console’s type of it', () => {
    expectTypeOf<Answer<typeof NotificationListSchema>>().toExtend<Console.Page<Console.Notification>>();
    expectTypeOf<Answer<typeof NotificationDetailSchema>>().toExtend<Console.NotificationDetail>();
    expectTypeOf<Answer<typeof DeadLetterListSchema>>().toExtend<Console.DeadLetterList>();
    expectTypeOf<Answer<typeof RedriveResponseSchema>>().toExtend<Console.RedriveAnswer>();
    expectTypeOf<Answer<typeof CircuitListSchema>>().toExtend<{ items: Console.Circuit[] }>();
    expectTypeOf<Answer<typeof ReplayDryRunSchema>>().toExtend<Console.ReplayDryRun>();
    expectTypeOf<Answer<typeof ReplayJobSchema>>().toExtend<Console.ReplayJob>();
    expectTypeOf<Answer<typeof BulkResponseSchema>>().toExtend<Console.BulkAnswer>();
    expectTypeOf<Answer<typeof MetricsSchema>>().toExtend<Console.MetricsAnswer>();
    expectTypeOf<Answer<typeof ApiKeySchema>>().toExtend<Console.ApiKeyInfo>();
  });

  it('given the statuses, then the console offers exactly the API’s', () => {
    expectTypeOf<Console.NotificationStatus>().toEqualTypeOf<(typeof OCCURRENCE_STATUSES)[number]>();
  });

  it('given what the console sends, then the request schemas accept its shape', () => {
    expectTypeOf<Console.ReplayRequestBody>().toExtend<Request<typeof CreateReplaySchema>>();
    expectTypeOf<{ all: true }>().toExtend<Request<typeof RedriveRequestSchema>>();
    expectTypeOf<{ messageIds: string[] }>().toExtend<Request<typeof RedriveRequestSchema>>();
  });
});
