import type { Clock } from '#commons/clock';

export interface WaitOptions<T> {
  /** Real seconds to wait at most. */
  waitSeconds: number;
  /** Tries to produce a result; undefined means "nothing yet, keep waiting". May throw. */
  attempt: () => T | undefined;
  /** Answer when the wait ends with nothing (timeout, server stopping). */
  empty: T;
  /** Clock instant when something hidden may become visible, to wake up then. */
  nextDueAt: () => number | undefined;
}

export interface PendingWait<T> {
  promise: Promise<T>;
  /** The client went away: stop waiting without touching any message. */
  cancel(): void;
}

/** Longest single timer (setTimeout overflows above 2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * ReceiveMessage long polls that are waiting for a message. A waiter tries again when:
 * - `wakeAll` is called: the server does so after any request that may have made a message
 *   receivable (send, visibility change, redrive…) and when the shared clock jumps;
 * - the clock reaches the next hidden message's visibility instant, with a timer of
 *   (instant - clock.now()) real milliseconds: exact for the system clock, a harmless extra
 *   check for a simulated clock (whose jumps arrive through `wakeAll`);
 * - its real-time wait (WaitTimeSeconds, in real seconds) ends: then it answers empty.
 * Timers are unref'd and cleared on settle, so waiters never keep the process alive.
 */
export class LongPolls {
  private readonly waiters = new Set<{ poke(): void; close(): void }>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.waiters.size;
  }

  wait<T>(options: WaitOptions<T>): PendingWait<T> {
    let cancel = (): void => undefined;
    const promise = new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = new Waiter(this.clock, options, resolve, reject, () =>
        this.waiters.delete(waiter),
      );
      this.waiters.add(waiter);
      cancel = () => {
        waiter.end(options.empty);
      };
      waiter.start();
    });
    return { promise, cancel };
  }

  /** Every waiter tries again, oldest first (so the longest-waiting consumer gets a message first). */
  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.poke();
  }

  /** Ends every wait with its empty answer (server stopping). */
  closeAll(): void {
    for (const waiter of [...this.waiters]) waiter.close();
  }
}

class Waiter<T> {
  private settled = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly options: WaitOptions<T>,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
    private readonly forget: () => void,
  ) {}

  start(): void {
    this.deadlineTimer = setTimeout(() => {
      this.end(this.options.empty);
    }, this.options.waitSeconds * 1000);
    this.deadlineTimer.unref();
    this.armDueTimer();
  }

  poke(): void {
    if (this.settled) return;
    let result: T | undefined;
    try {
      result = this.options.attempt();
    } catch (error) {
      this.finish();
      this.reject(error);
      return;
    }
    if (result !== undefined) this.end(result);
    else this.armDueTimer();
  }

  close(): void {
    this.end(this.options.empty);
  }

  end(value: T): void {
    if (this.settled) return;
    this.finish();
    this.resolve(value);
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.dueTimer);
    this.forget();
  }

  private armDueTimer(): void {
    clearTimeout(this.dueTimer);
    const at = this.options.nextDueAt();
    if (at === undefined) return;
    // At least 1 ms so a due instant that is (stale and) already past cannot spin.
    const delay = Math.min(Math.max(at - this.clock.now(), 1), this.options.waitSeconds * 1000, MAX_TIMER_MS);
    this.dueTimer = setTimeout(() => {
      this.poke();
    }, delay);
    this.dueTimer.unref();
  }
}
