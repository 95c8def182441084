import { z } from 'zod';
import { json } from '../http';
import type { Route } from '../router';

/** Liveness only (no dependencies checked): the local runtime waits on it, and it needs no key. */
export const HEALTH_PATH = '/health';
export const READY_PATH = '/health/ready';

/** One dependency the API needs, and whether it answered. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Why not, in words safe to show an operator (no internals, no secrets). */
  detail?: string;
}

/** Checks the table and the queues; never throws (a failure is a check that is not ok). */
export type ReadinessProbe = () => Promise<ReadinessCheck[]>;

const LivenessSchema = z.object({ status: z.literal('ok') }).strict();
const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() }).strict()),
  })
  .strict();

export function healthRoutes(probe: ReadinessProbe): Route[] {
  return [
    {
      method: 'GET',
      path: HEALTH_PATH,
      access: 'public',
      doc: {
        summary: 'Liveness',
        description: 'No credentials needed; checks nothing beyond the API itself.',
        tag: 'health',
        responses: { 200: { description: 'Alive', schema: LivenessSchema } },
      },
      handler: () => Promise.resolve(json(200, { status: 'ok' })),
    },
    {
      method: 'GET',
      path: READY_PATH,
      doc: {
        summary: 'Readiness',
        description: 'Whether the table and the queues answer; 503 when one does not.',
        tag: 'health',
        responses: {
          200: { description: 'Ready', schema: ReadinessSchema },
          503: { description: 'A dependency does not answer', schema: ReadinessSchema },
        },
      },
      handler: async () => {
        const checks = await probe();
        const ready = checks.every((check) => check.ok);
        return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', checks });
      },
    },
  ];
}
