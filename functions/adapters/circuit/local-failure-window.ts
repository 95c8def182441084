import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { Clock } from '#commons/clock';
import type { WebhookOutcome } from '#ports/webhook-sender';

export type WebhookCall = () => Promise<WebhookOutcome>;

export interface FailureWindowOptions {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  rollingWindowMs: number;
  resetTimeoutMs: number;
}

/** opossum's default number of buckets; one bucket covers rollingWindowMs / 10. */
const BUCKETS = 10;
/**
 * Endpoints whose counts this container keeps. The least recently used beyond it are dropped: a
 * worker that meets many distinct endpoints must not grow without bound, and an endpoint not seen
 * for that long has no recent failures worth keeping.
 */
const MAX_ENDPOINTS = 1_000;

/** Carries a retryable outcome through opossum, which counts only rejections as failures. */
class RetryableOutcome extends Error {
  override readonly name = 'RetryableOutcome';
  constructor(readonly outcome: WebhookOutcome) {
    super('retryable webhook outcome');
  }
}

/**
 * This container's failure counting for each endpoint: one opossum `CircuitBreaker` per endpoint,
 * used only for its rolling window and its trip rule (more than `errorThresholdPercentage` failed
 * once `volumeThreshold` calls are in the window). The trip is reported through `onTrip`; whether
 * calls are made is decided by the shared state, never by opossum's own open/half-open states.
 *
 * Time: opossum would rotate its window with one real `setInterval` per breaker. Instead every
 * breaker gets the same `rotateBucketController` (opossum 9 option), and the window is rotated
 * here from the injected Clock before each call, so it follows the local runtime's simulated time
 * (which can jump hours) and survives a frozen Lambda container (whose timers do not run). What
 * still runs on real time inside opossum is harmless here: latency stats (Date.now), and the
 * unref'd `resetTimeout` timer started on a trip, which would move the local breaker to half-open;
 * the breaker is replaced by a fresh one before it is used again and `shutdown()` clears the timer.
 */
export class LocalFailureWindow {
  private readonly clock: Clock;
  private readonly options: FailureWindowOptions;
  private readonly onTrip: (endpointKey: string) => void;
  /** Insertion order is recency order: used entries are moved to the end. */
  private readonly breakers = new Map<string, CircuitBreaker<[WebhookCall], WebhookOutcome>>();
  private readonly rotation = new EventEmitter();
  private rotatedAt: number | undefined;

  constructor(deps: { clock: Clock; options: FailureWindowOptions; onTrip: (endpointKey: string) => void }) {
    this.clock = deps.clock;
    this.options = deps.options;
    this.onTrip = deps.onTrip;
    // One listener per breaker; the default limit of 10 would only print a leak warning.
    this.rotation.setMaxListeners(0);
  }

  /**
   * Makes the call and counts it: `retryable` outcomes and thrown errors are failures; any other
   * outcome means the endpoint answered. Thrown errors are rethrown after counting.
   */
  async run(endpointKey: string, call: WebhookCall): Promise<WebhookOutcome> {
    this.rotate();
    try {
      return await this.breakerFor(endpointKey).fire(call);
    } catch (error) {
      if (error instanceof RetryableOutcome) return error.outcome;
      throw error;
    }
  }

  /** Forgets an endpoint's counts, e.g. once a probe proved it healthy again. */
  reset(endpointKey: string): void {
    this.breakers.get(endpointKey)?.shutdown();
    this.breakers.delete(endpointKey);
  }

  /** Shuts every breaker down, which clears any timer opossum started. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  /** Rotates every window by the buckets that elapsed on the injected clock since the last call. */
  private rotate(): void {
    const now = this.clock.now();
    const bucketMs = this.options.rollingWindowMs / BUCKETS;
    // First call, or a clock set backwards (tests, simulated time): restart the phase.
    if (this.rotatedAt === undefined || now < this.rotatedAt) {
      this.rotatedAt = now;
      return;
    }
    const elapsed = Math.floor((now - this.rotatedAt) / bucketMs);
    if (elapsed === 0) return;
    for (let i = 0; i < Math.min(elapsed, BUCKETS); i += 1) this.rotation.emit('rotate');
    this.rotatedAt += elapsed * bucketMs;
  }

  private breakerFor(endpointKey: string): CircuitBreaker<[WebhookCall], WebhookOutcome> {
    const existing = this.breakers.get(endpointKey);
    if (existing) {
      this.breakers.delete(endpointKey);
      // A breaker still holding an old trip (open or half-open in opossum's terms) would reject
      // with EOPENBREAKER; the shared state has already said calls may go, so count afresh.
      if (existing.closed) {
        this.breakers.set(endpointKey, existing);
        return existing;
      }
      existing.shutdown();
    }
    const breaker = this.createBreaker(endpointKey);
    this.breakers.set(endpointKey, breaker);
    for (const [key, oldest] of this.breakers) {
      if (this.breakers.size <= MAX_ENDPOINTS) break;
      oldest.shutdown();
      this.breakers.delete(key);
    }
    return breaker;
  }

  private createBreaker(endpointKey: string): CircuitBreaker<[WebhookCall], WebhookOutcome> {
    const breaker = new CircuitBreaker<[WebhookCall], WebhookOutcome>(
      async (call: WebhookCall) => {
        const outcome = await call();
        if (outcome.kind === 'retryable') throw new RetryableOutcome(outcome);
        return outcome;
      },
      {
        name: endpointKey,
        // The sender has its own deadline (the Lambda's remaining time); a second would race it.
        timeout: false,
        errorThresholdPercentage: this.options.errorThresholdPercentage,
        // opossum's default of 0 would open on the very first failure.
        volumeThreshold: this.options.volumeThreshold,
        rollingCountTimeout: this.options.rollingWindowMs,
        rollingCountBuckets: BUCKETS,
        rotateBucketController: this.rotation,
        resetTimeout: this.options.resetTimeoutMs,
        // No periodic snapshot timer, no latency percentiles: nobody reads them.
        enableSnapshots: false,
        rollingPercentilesEnabled: false,
      },
    );
    breaker.on('open', () => {
      this.onTrip(endpointKey);
    });
    return breaker;
  }
}
