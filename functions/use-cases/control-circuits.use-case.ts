import type { Clock } from '#commons/clock';
import { ConflictError, NotFoundError, VersionMismatchError } from '#commons/errors';
import type { CircuitState, CircuitTransition } from '#ports/circuit-breaker';
import type { CircuitControlStore, CircuitSnapshot as CircuitRecord } from '#ports/circuit-control';

/** Most circuits one listing shows (one per webhook endpoint: a handful in practice). */
export const MAX_CIRCUITS = 1_000;
/** A forced open lasts this long unless told otherwise; then one probe decides, as after a trip. */
export const DEFAULT_FORCE_OPEN_SECONDS = 3_600;
/** Compare-and-set retries against the breaker's own writes before answering 409. */
const MAX_ATTEMPTS = 3;

/** A circuit as operators see it. */
export interface CircuitView {
  endpointKey: string;
  /** half-open: open and past `retryAt`, so the next call is the one probe. */
  state: CircuitState;
  /** Opens since the circuit was last closed (first trip plus failed probes). */
  failures: number;
  /** When the current outage began (epoch ms); absent while closed. */
  openedAt?: number;
  /** Until when calls are held back (epoch ms); absent while closed. */
  retryAt?: number;
  /** Whether an admin's force-open holds it. */
  forced: boolean;
  /** A probe holds its lease now. */
  probing: boolean;
  updatedAt?: number;
  version: number;
}

/**
 * The admin side of the shared circuit breaker (DESIGN core idea 5): see every endpoint's
 * circuit, close one (forgetting its failures), or hold one open. The writes are the same
 * conditional writes the breaker makes, and a change of state is announced through the same
 * transition hook (log, metric, domain event) as the breaker's own. Workers read the state
 * through their cache, so a change takes effect within its lifetime (5 s).
 */
export class ControlCircuits {
  constructor(
    private readonly deps: {
      store: CircuitControlStore;
      clock: Clock;
      /**
       * Announces a change of state as the breaker does (log, metric, domain event); awaited,
       * so the answer comes after it.
       */
      onTransition?: (transition: CircuitTransition) => void | Promise<void>;
    },
  ) {}

  async list(): Promise<CircuitView[]> {
    const now = this.deps.clock.now();
    const records = await this.deps.store.list(MAX_CIRCUITS);
    return records.map((record) => viewOf(record, now));
  }

  /** @throws NotFoundError for an endpoint whose circuit was never written */
  async get(endpointKey: string): Promise<CircuitView> {
    const record = await this.deps.store.get(endpointKey);
    if (record.version === 0) throw new NotFoundError('circuit', endpointKey);
    return viewOf(record, this.deps.clock.now());
  }

  /**
   * Closes the circuit and forgets its failures (the receiver is known to be fine again).
   * @throws NotFoundError, VersionMismatchError (If-Match), ConflictError
   */
  reset(endpointKey: string, expectedVersion?: number): Promise<CircuitView> {
    return this.change(endpointKey, expectedVersion, false, (record, now) =>
      this.deps.store.reset(endpointKey, now, record.version),
    );
  }

  /**
   * Holds the circuit open for `durationSeconds` (deliveries to the endpoint are deferred, not
   * failed); afterwards one probe decides, as after a trip. Any endpoint may be opened, also one
   * never called yet. @throws VersionMismatchError (If-Match), ConflictError
   */
  forceOpen(endpointKey: string, durationSeconds: number, expectedVersion?: number): Promise<CircuitView> {
    return this.change(endpointKey, expectedVersion, true, (record, now) =>
      this.deps.store.forceOpen(endpointKey, now, now + durationSeconds * 1_000, record.version),
    );
  }

  private async change(
    endpointKey: string,
    expectedVersion: number | undefined,
    mayCreate: boolean,
    write: (record: CircuitRecord, now: number) => Promise<boolean>,
  ): Promise<CircuitView> {
    for (let attempt = 1; ; attempt += 1) {
      const before = await this.deps.store.get(endpointKey);
      if (before.version === 0 && !mayCreate) throw new NotFoundError('circuit', endpointKey);
      if (expectedVersion !== undefined && expectedVersion !== before.version) {
        throw new VersionMismatchError('circuit', expectedVersion, before.version);
      }
      const now = this.deps.clock.now();
      if (await write(before, now)) {
        const after = await this.deps.store.get(endpointKey);
        await this.announce(viewOf(before, now).state, viewOf(after, now).state, endpointKey, now);
        return viewOf(after, now);
      }
      // The breaker (or another admin) wrote in between: with If-Match that is a stale version.
      if (expectedVersion !== undefined) {
        const current = await this.deps.store.get(endpointKey);
        throw new VersionMismatchError('circuit', expectedVersion, current.version);
      }
      if (attempt >= MAX_ATTEMPTS) throw new ConflictError(`circuit ${endpointKey} kept changing`);
    }
  }

  private async announce(
    from: CircuitState,
    to: CircuitState,
    endpointKey: string,
    at: number,
  ): Promise<void> {
    // The breaker announces closed <-> open; half-open is a moment of open, not a transition.
    const wasOpen = from !== 'closed';
    const isOpen = to !== 'closed';
    if (wasOpen === isOpen) return;
    await this.deps.onTransition?.({
      endpointKey,
      from: wasOpen ? 'open' : 'closed',
      to: isOpen ? 'open' : 'closed',
      at,
    });
  }
}

function viewOf(record: CircuitRecord, now: number): CircuitView {
  const open = record.state === 'open';
  const probing = open && (record.probeLeaseUntil ?? 0) > now;
  const state: CircuitState = !open ? 'closed' : (record.retryAt ?? 0) <= now ? 'half-open' : 'open';
  return {
    endpointKey: record.endpointKey,
    state,
    failures: record.failures,
    ...(open && record.openedAt !== undefined ? { openedAt: record.openedAt } : {}),
    ...(open && record.retryAt !== undefined ? { retryAt: record.retryAt } : {}),
    forced: record.forced === true,
    probing,
    ...(record.updatedAt === undefined ? {} : { updatedAt: record.updatedAt }),
    version: record.version,
  };
}
