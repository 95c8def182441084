/** A stored answer, replayed as it was first given. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What `begin` found for an idempotency key. */
export type IdempotencyStart =
  /** First use (or the earlier one expired or was abandoned): go ahead, then `complete`. */
  | { kind: 'started' }
  /** Done before with the same request: answer this. */
  | { kind: 'replay'; response: StoredResponse }
  /** The same key is being processed right now by another request. */
  | { kind: 'in-progress' }
  /** The key was used for a different request (method, path or body). */
  | { kind: 'mismatch' };

/**
 * `Idempotency-Key` records (Stripe's model): the first request with a key runs and its answer
 * is kept for a day; a repeat gets the same answer without running again.
 */
export interface IdempotencyStore {
  /**
   * Claims `scope` for a request with `fingerprint`. A claim that was never completed (the
   * process died) can be taken over after `leaseMs`.
   */
  begin(
    scope: string,
    fingerprint: string,
    now: number,
    leaseMs: number,
    retainMs: number,
  ): Promise<IdempotencyStart>;
  /** Keeps the answer until `expiresAt` (epoch ms). */
  complete(scope: string, fingerprint: string, response: StoredResponse, expiresAt: number): Promise<void>;
  /** Forgets an unfinished claim (the request failed on our side), so a retry can run. */
  abandon(scope: string): Promise<void>;
}
