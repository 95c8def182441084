import { z } from 'zod';
import { json, parseJsonBody } from '#api/http';
import { ProblemError, problem } from '#api/problem';
import type { Route } from '#api/router';
import { ClockBackwardsError, type SimulatedClock } from './simulated-clock';
import type { SinkItem } from './webhook-sink';

export interface DrainResult {
  /** Delivered and permanently failed notifications since this start. */
  delivered: number;
  failed: number;
  /** Messages still on the main queue (delayed or invisible). */
  pending: number;
  /** Messages in the DLQ now. */
  dlq: number;
}

export interface LocalControls {
  clock: SimulatedClock;
  /** Moves the clock forward (between worker invocations) and runs a pass, as the timer would. */
  jumpClock: (instant: number) => Promise<void>;
  tick(): Promise<{ due: number; enqueued: number }>;
  drain(timeoutMs: number): Promise<DrainResult>;
  sinkItems(): readonly SinkItem[];
}

/** Occurrences are computed up to year 9999; the clock stays well clear of that edge. */
const LATEST_CLOCK = Date.UTC(9000, 0, 1);
const ClockBody = z
  .object({
    now: z.iso
      .datetime({ offset: true })
      .refine((iso) => Date.parse(iso) < LATEST_CLOCK, { error: 'now must be before the year 9000' })
      .meta({ description: 'ISO-8601 instant to jump to.' }),
  })
  .strict();
const DrainBody = z.object({ timeoutSeconds: z.number().positive().max(3600).optional() }).strict();

/** The `/_local` endpoints of CONTRACT section 2: behind the same API key as the admin API. */
export function localRoutes(controls: LocalControls): Route[] {
  const now = () => ({ now: new Date(controls.clock.now()).toISOString() });
  return [
    { method: 'GET', path: '/_local/clock', handler: () => Promise.resolve(json(200, now())) },
    {
      method: 'POST',
      path: '/_local/clock',
      handler: async ({ event }) => {
        const body = parseJsonBody(event, ClockBody);
        try {
          await controls.jumpClock(Date.parse(body.now));
        } catch (error) {
          if (error instanceof ClockBackwardsError)
            throw new ProblemError(problem('conflict', error.message));
          throw error;
        }
        return json(200, now());
      },
    },
    {
      method: 'POST',
      path: '/_local/tick',
      handler: async () => {
        const { due, enqueued } = await controls.tick();
        return json(200, { due, enqueued });
      },
    },
    {
      method: 'POST',
      path: '/_local/drain',
      handler: async ({ event }) => {
        // An empty body means the default timeout.
        const body = event.body ? parseJsonBody(event, DrainBody) : {};
        return json(200, await controls.drain((body.timeoutSeconds ?? 30) * 1000));
      },
    },
    {
      method: 'GET',
      path: '/_local/sink',
      handler: () => Promise.resolve(json(200, { items: controls.sinkItems() })),
    },
  ];
}
