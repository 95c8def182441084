/**
 * The only source of time for domain code, use cases and adapters.
 *
 * In AWS it is the system clock; in the local runtime and in tests it is a simulated clock that
 * every component shares (scheduler, worker, the local SQS server, timestamps), so moving it
 * forward makes due notifications and delayed retries due.
 *
 * @example
 * const clock = fixedClock(new Date('2027-03-14T09:00:00Z'));
 * clock.now(); // 1805014800000
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

const MINUTE_MS = 60_000;

/** The start of the minute an instant falls in (instants before 1970 included). */
export const startOfMinute = (instant: number): number =>
  instant - (((instant % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

/** The wall clock of the machine; the one used in AWS. */
export const systemClock: Clock = {
  // eslint-disable-next-line no-restricted-properties -- the one sanctioned read of the system time
  now: () => Date.now(),
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | number) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  set(instant: Date | number): void {
    this.current = typeof instant === 'number' ? instant : instant.getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export const isoOf = (epochMs: number): string => new Date(epochMs).toISOString();
