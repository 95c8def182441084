/** An endpoint's shared circuit as stored (the breaker's record), for operators. */
export interface CircuitSnapshot {
  endpointKey: string;
  /** Half-open is not stored: it is "open and past retryAt". */
  state: 'closed' | 'open';
  /** Times the circuit opened since it was last closed: the first trip plus every failed probe. */
  failures: number;
  /** Epoch ms the current outage began. */
  openedAt?: number;
  /** Epoch ms from which one container may probe the endpoint again. */
  retryAt?: number;
  /** Epoch ms until which the current probe holds its lease. */
  probeLeaseUntil?: number;
  /** Bumped by every write; 0 for an endpoint whose circuit was never written. */
  version: number;
  /** Set while an admin's force-open holds it open (the breaker's own opens clear it). */
  forced?: boolean;
  /** Epoch ms of the last write. */
  updatedAt?: number;
}

/**
 * What operators do with circuits (the admin API), beside the breaker's own transitions. Each
 * write is a compare-and-set on `version` (0 = no record yet): false when the record moved on.
 *
 * @example
 * const current = await store.get(key);
 * if (!(await store.reset(key, clock.now(), current.version))) retry();
 */
export interface CircuitControlStore {
  /** The current record; a closed record with version 0 when none was written yet. */
  get(endpointKey: string): Promise<CircuitSnapshot>;
  /** Every circuit ever written, by endpoint key, through the list index (at most `max`). */
  list(max: number): Promise<CircuitSnapshot[]>;
  /** Opens it until `retryAt` whatever the failures (the failure count is kept). */
  forceOpen(endpointKey: string, at: number, retryAt: number, expectedVersion: number): Promise<boolean>;
  /** Closes it and forgets its failures. */
  reset(endpointKey: string, at: number, expectedVersion: number): Promise<boolean>;
}
