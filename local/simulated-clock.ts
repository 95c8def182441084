import { systemClock, type Clock } from '#commons/clock';

/**
 * The clock every local component shares: it runs at `rate` simulated seconds per real second
 * from `start`, and can be moved forward (never back). Listeners hear of every jump, so long
 * polls and timers waiting on simulated time re-check at once.
 */
export class SimulatedClock implements Clock {
  private base: number;
  private realBase: number;
  private readonly listeners = new Set<() => void>();

  constructor(
    start: number,
    readonly rate: number,
    private readonly realClock: Clock = systemClock,
  ) {
    this.base = start;
    this.realBase = realClock.now();
  }

  now(): number {
    return Math.floor(this.base + (this.realClock.now() - this.realBase) * this.rate);
  }

  /** Jumps to `instant`. @throws ClockBackwardsError when that is before now. */
  set(instant: number): void {
    if (instant < this.now()) throw new ClockBackwardsError(instant, this.now());
    this.base = instant;
    this.realBase = this.realClock.now();
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Real milliseconds until `simulatedMs` of simulated time have passed. */
  realDelayFor(simulatedMs: number): number {
    return simulatedMs / this.rate;
  }
}

export class ClockBackwardsError extends Error {
  override readonly name = 'ClockBackwardsError';
  constructor(requested: number, now: number) {
    super(
      `the clock never moves backwards: ${new Date(requested).toISOString()} is before ${new Date(now).toISOString()}`,
    );
  }
}
