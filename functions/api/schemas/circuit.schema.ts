import { z } from 'zod';
import { isoOf } from '#commons/clock';
import type { CircuitView } from '#use-cases/control-circuits.use-case';

/* The circuit of each webhook endpoint, as operators see and steer it. */

/** Longest force-open: a week; past it one probe decides, as after any trip. */
export const MAX_FORCE_OPEN_SECONDS = 7 * 86_400;
const DURATION_MESSAGE = `durationSeconds must be an integer from 1 to ${MAX_FORCE_OPEN_SECONDS}`;

/**
 * An endpoint key is what the breaker keys circuits by: `scheme://host[:port]` of the webhook
 * URL, percent-encoded as one path segment (`https%3A%2F%2Fexample.com`).
 */
export const ENDPOINT_KEY_PATTERN = /^https?:\/\/[A-Za-z0-9.\-[\]:]{1,261}$/;

export const ForceOpenRequestSchema = z
  .object(
    {
      durationSeconds: z
        .int({ error: DURATION_MESSAGE })
        .min(1, { error: DURATION_MESSAGE })
        .max(MAX_FORCE_OPEN_SECONDS, { error: DURATION_MESSAGE })
        .optional()
        .meta({ description: 'How long to hold it open; one hour when absent.', examples: [600] }),
    },
    { error: 'body must be a JSON object' },
  )
  .strict()
  .meta({ description: 'The body of POST /v1/circuits/{endpoint}/open (may be {}).' });

export const CircuitSchema = z
  .object({
    endpoint: z.string().meta({ description: 'scheme://host:port of the webhook endpoint.' }),
    state: z.enum(['closed', 'open', 'half-open']).meta({
      description: 'half-open: the hold-back time is over and the next call is the one probe.',
    }),
    failures: z
      .int()
      .min(0)
      .meta({ description: 'Opens since it was last closed (trip plus failed probes).' }),
    openSince: z.iso.datetime().nullable().meta({ description: 'When the current outage began.' }),
    openUntil: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'Calls held back until then; then one probe.' }),
    forced: z.boolean().meta({ description: 'Held open by an admin.' }),
    probing: z.boolean().meta({ description: 'A probe call is in flight.' }),
    updatedAt: z.iso.datetime().nullable(),
    version: z.int().min(0),
  })
  .strict()
  .meta({ description: 'The shared circuit of one webhook endpoint.' });

export const CircuitListSchema = z.object({ items: z.array(CircuitSchema) }).strict();

export type CircuitJson = z.infer<typeof CircuitSchema>;

export function toCircuitJson(view: CircuitView): CircuitJson {
  return {
    endpoint: view.endpointKey,
    state: view.state,
    failures: view.failures,
    openSince: view.openedAt === undefined ? null : isoOf(view.openedAt),
    openUntil: view.retryAt === undefined ? null : isoOf(view.retryAt),
    forced: view.forced,
    probing: view.probing,
    updatedAt: view.updatedAt === undefined ? null : isoOf(view.updatedAt),
    version: view.version,
  };
}
