import type { Clock } from '#commons/clock';
import type {
  CircuitState,
  CircuitTransition,
  EndpointCircuitBreaker,
  GuardedOutcome,
} from '#ports/circuit-breaker';
import type { WebhookOutcome } from '#ports/webhook-sender';
import type { CircuitRecord, CircuitStateStore } from './circuit-state-store';
import { LocalFailureWindow, type WebhookCall } from './local-failure-window';

/** Breaker thresholds; every duration is in milliseconds of the injected Clock. */
export interface CircuitBreakerOptions {
  /** Share of failed calls in the rolling window, in percent, above which the circuit opens. */
  errorThresholdPercentage: number;
  /** Calls the rolling window must hold before it may open (opossum's default 0 trips on one). */
  volumeThreshold: number;
  /** Length of the rolling window in which one container counts failures. */
  rollingWindowMs: number;
  /** How long an opened circuit stays open before one container may probe the endpoint. */
  resetTimeoutMs: number;
  /** How long a probe winner holds its lease before another container may probe instead. */
  probeLeaseMs: number;
  /** How long shared state read from the store is reused within this container. */
  stateCacheMs: number;
}

export const DEFAULT_CIRCUIT_OPTIONS: Readonly<CircuitBreakerOptions> = Object.freeze({
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingWindowMs: 60_000,
  resetTimeoutMs: 60_000,
  probeLeaseMs: 30_000,
  stateCacheMs: 5_000,
});

/** A loser of the probe election retries after this at the earliest. */
const MIN_PROBE_WAIT_MS = 1_000;

export interface SharedCircuitBreakerDeps {
  store: CircuitStateStore;
  clock: Clock;
  options?: Partial<CircuitBreakerOptions>;
  /** Called once per shared transition, by the one container whose conditional write made it. */
  onTransition?: (transition: CircuitTransition) => void;
  logger?: { warn(message: string, extra?: object): void };
}

interface CachedState {
  /** undefined when the store could not be read: treated as closed (fail open). */
  record: CircuitRecord | undefined;
  readAt: number;
}

/**
 * One circuit per webhook endpoint, shared by every container through a {@link CircuitStateStore}
 * (DESIGN core idea 5).
 *
 * - Counting is local: {@link LocalFailureWindow} (opossum) counts this container's calls; a call
 *   that ends `retryable` or throws is a failure, while delivered, permanent (4xx) and
 *   rate-limited (429) calls are not, since the endpoint answered. When it trips, `open` is written
 *   to the store with a compare-and-set, so only one container reports the transition.
 * - Deciding is shared, on the injected Clock: closed -> call; open before `retryAt` ->
 *   `circuit-open` without calling; open after it -> one container wins the probe lease and makes
 *   the half-open call (any answer but `retryable` closes the circuit for everyone, a failure
 *   re-opens it for another `resetTimeoutMs`), the others are told to come back shortly.
 * - The state is cached for `stateCacheMs`, so other containers see a change that much later.
 * - If the store fails, the breaker fails open: the call is made and a warning logged. A broken
 *   state store must never stop deliveries.
 *
 * opossum's snapshot seeding (`state`/`toJSON`) is deliberately not used: the store is the
 * authority, and opossum's `lastTimerAt` arithmetic reads the real clock, not the injected one.
 *
 * @example
 * const breaker = new SharedCircuitBreaker({ store, clock, onTransition: publishCircuitEvent });
 * const outcome = await breaker.run(new URL(url).host, () => sender.send(request));
 * if (outcome.kind === 'circuit-open') deferUntil(outcome.retryAt);
 */
export class SharedCircuitBreaker implements EndpointCircuitBreaker {
  private readonly store: CircuitStateStore;
  private readonly clock: Clock;
  private readonly options: CircuitBreakerOptions;
  private readonly onTransition: ((transition: CircuitTransition) => void) | undefined;
  private readonly logger: { warn(message: string, extra?: object): void } | undefined;
  private readonly local: LocalFailureWindow;
  private readonly cache = new Map<string, CachedState>();
  /**
   * The store read in flight per endpoint. Every call that finds the cache expired joins it, so a
   * container reads each endpoint's state once per `stateCacheMs`, not once per concurrent call
   * (a batch of 10 parallel deliveries would otherwise all read at each expiry).
   */
  private readonly reads = new Map<string, Promise<CircuitRecord | undefined>>();
  /** Store writes started by a local trip; awaited so callers observe their effect. */
  private readonly pendingTrips = new Map<string, Promise<void>>();

  constructor(deps: SharedCircuitBreakerDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.options = { ...DEFAULT_CIRCUIT_OPTIONS, ...deps.options };
    this.onTransition = deps.onTransition;
    this.logger = deps.logger;
    this.local = new LocalFailureWindow({
      clock: deps.clock,
      options: this.options,
      onTrip: (endpointKey) => {
        this.startTripWrite(endpointKey);
      },
    });
  }

  async run(endpointKey: string, call: WebhookCall): Promise<GuardedOutcome> {
    await this.pendingTrips.get(endpointKey);
    const now = this.clock.now();
    const record = await this.sharedState(endpointKey, now);
    if (record?.state !== 'open') return this.callCounted(endpointKey, call);
    if (record.retryAt !== undefined && record.retryAt > now) {
      return { kind: 'circuit-open', retryAt: record.retryAt };
    }

    let won: boolean;
    try {
      won = await this.store.tryAcquireProbe(endpointKey, now, this.options.probeLeaseMs);
    } catch (error) {
      this.warnStoreFailed(endpointKey, 'tryAcquireProbe', error);
      return this.callCounted(endpointKey, call);
    }
    if (!won) {
      // Another container is probing. Come back once this container's cache has expired, by
      // when the probe has usually answered; the state is re-read then, not trusted from now.
      this.invalidate(endpointKey);
      return { kind: 'circuit-open', retryAt: now + Math.max(this.options.stateCacheMs, MIN_PROBE_WAIT_MS) };
    }
    return this.probe(endpointKey, call);
  }

  /** Clears opossum's timers; nothing else of this class holds the process open. */
  shutdown(): void {
    this.local.shutdown();
    this.cache.clear();
    this.reads.clear();
  }

  /** The shared record, read through a cache that lives `stateCacheMs` of the injected clock. */
  private sharedState(endpointKey: string, now: number): Promise<CircuitRecord | undefined> {
    const cached = this.cache.get(endpointKey);
    // A clock moved backwards (tests, simulated time) also invalidates the entry.
    if (cached && now >= cached.readAt && now - cached.readAt < this.options.stateCacheMs) {
      return Promise.resolve(cached.record);
    }
    const inFlight = this.reads.get(endpointKey);
    if (inFlight) return inFlight;
    const read: Promise<CircuitRecord | undefined> = this.store
      .get(endpointKey)
      .catch((error: unknown) => {
        // Remembered too, so a dead store costs one failed read per stateCacheMs, not per delivery.
        this.warnStoreFailed(endpointKey, 'get', error);
        return undefined;
      })
      .then((record) => {
        // Cached only if nothing invalidated the entry meanwhile (a close, a re-open or a trip
        // by this container): a read that started before that must not bring the old state back.
        if (this.reads.get(endpointKey) === read) {
          this.reads.delete(endpointKey);
          this.cache.set(endpointKey, { record, readAt: now });
        }
        return record;
      });
    this.reads.set(endpointKey, read);
    return read;
  }

  /** Forgets the cached state and any read in flight: the next call reads the store afresh. */
  private invalidate(endpointKey: string): void {
    this.cache.delete(endpointKey);
    this.reads.delete(endpointKey);
  }

  /** A call while the circuit is closed (or its state unknown), counted in the local window. */
  private async callCounted(endpointKey: string, call: WebhookCall): Promise<GuardedOutcome> {
    try {
      return await this.local.run(endpointKey, call);
    } finally {
      // A trip started its store write synchronously inside the call; let the caller see its
      // effect (and the transition) before it acts on the outcome.
      await this.pendingTrips.get(endpointKey);
    }
  }

  /** The half-open call, made by the lease holder outside the local window. */
  private async probe(endpointKey: string, call: WebhookCall): Promise<GuardedOutcome> {
    let outcome: WebhookOutcome;
    try {
      outcome = await call();
    } catch (error) {
      await this.reopen(endpointKey);
      throw error;
    }
    if (outcome.kind === 'retryable') await this.reopen(endpointKey);
    else await this.close(endpointKey);
    return outcome;
  }

  private async reopen(endpointKey: string): Promise<void> {
    const at = this.clock.now();
    this.invalidate(endpointKey);
    try {
      // Unconditional: holding the lease makes this container the circuit's only writer now.
      // Still open, so no transition is reported.
      await this.store.open(endpointKey, at, at + this.options.resetTimeoutMs);
    } catch (error) {
      this.warnStoreFailed(endpointKey, 'open', error);
    }
  }

  private async close(endpointKey: string): Promise<void> {
    const at = this.clock.now();
    this.invalidate(endpointKey);
    // Old failures must not re-trip the endpoint that just proved healthy.
    this.local.reset(endpointKey);
    try {
      if (await this.store.close(endpointKey, at)) this.emit(endpointKey, 'open', 'closed', at);
    } catch (error) {
      this.warnStoreFailed(endpointKey, 'close', error);
    }
  }

  private startTripWrite(endpointKey: string): void {
    const write = this.writeTrip(endpointKey).finally(() => {
      if (this.pendingTrips.get(endpointKey) === write) this.pendingTrips.delete(endpointKey);
    });
    this.pendingTrips.set(endpointKey, write);
  }

  /** The local window tripped: open the shared circuit unless another container already did. */
  private async writeTrip(endpointKey: string): Promise<void> {
    const at = this.clock.now();
    this.invalidate(endpointKey);
    try {
      // Read fresh, not from the cache: if another container opened it meanwhile, this trip is
      // not a transition of its own. Two rounds cover one lost compare-and-set race.
      for (let round = 0; round < 2; round += 1) {
        const current = await this.store.get(endpointKey);
        if (current.state === 'open') return;
        if (await this.store.open(endpointKey, at, at + this.options.resetTimeoutMs, current.version)) {
          this.emit(endpointKey, 'closed', 'open', at);
          return;
        }
      }
    } catch (error) {
      // The local breaker keeps its trip, so the next call starts counting afresh and a store
      // that has come back gets the trip written on the next one.
      this.warnStoreFailed(endpointKey, 'open', error);
    }
  }

  private emit(endpointKey: string, from: CircuitState, to: CircuitState, at: number): void {
    this.onTransition?.({ endpointKey, from, to, at });
  }

  private warnStoreFailed(endpointKey: string, operation: string, error: unknown): void {
    this.logger?.warn('circuit state store failed; failing open', {
      endpointKey,
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
