import { z } from 'zod';
import { isoOf } from '#commons/clock';
import {
  DEFAULT_ROTATION_OVERLAP_HOURS,
  MAX_ROTATION_OVERLAP_HOURS,
  type EventType,
} from '#domain/event-type';
import { EventTypeSchema, toEventTypeJson } from './event-model.schema';

const OVERLAP_MESSAGE = `overlapHours must be an integer from 1 to ${MAX_ROTATION_OVERLAP_HOURS}`;

/** The body of POST /v1/event-types/{key}/rotate-secret; it may be left out entirely. */
export const RotateSecretBodySchema = z
  .object(
    {
      overlapHours: z
        .int({ error: OVERLAP_MESSAGE })
        .min(1, { error: OVERLAP_MESSAGE })
        .max(MAX_ROTATION_OVERLAP_HOURS, { error: OVERLAP_MESSAGE })
        .optional()
        .meta({
          description: `How long the old secret keeps signing too (hours, 1..${MAX_ROTATION_OVERLAP_HOURS}); ${DEFAULT_ROTATION_OVERLAP_HOURS} when absent.`,
          examples: [48],
        }),
    },
    { error: 'The body must be a JSON object' },
  )
  .strict()
  .meta({ description: 'Optional: an empty body (or none) takes the default overlap.' });

export const RotatedSecretSchema = EventTypeSchema.extend({
  webhookSecret: z
    .string()
    .meta({ description: 'The new whsec_ secret: in this answer only, never again.', readOnly: true }),
  previousSecretExpiresAt: z.iso.datetime().meta({
    description: 'Until then every message also carries a signature made with the old secret (UTC).',
    readOnly: true,
  }),
}).meta({ description: 'The event type after the rotation, with its new secret (shown once).' });

export const toRotatedSecretJson = (
  type: EventType,
  newSecret: string,
  overlapEndsAt: number,
): z.infer<typeof RotatedSecretSchema> => ({
  ...toEventTypeJson(type),
  webhookSecret: newSecret,
  previousSecretExpiresAt: isoOf(overlapEndsAt),
});
