import type { WebhookOutcome } from './webhook-sender';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** The outcome of a guarded call: the call's own, or "not called because the circuit is open". */
export type GuardedOutcome = WebhookOutcome | { kind: 'circuit-open'; retryAt: number };

/**
 * One circuit per webhook endpoint, shared by every worker container (state in DynamoDB):
 * while open, calls are not made and the caller defers the message until `retryAt` without
 * using its retry budget; after the reset timeout exactly one container wins the half-open probe.
 */
export interface EndpointCircuitBreaker {
  run(endpointKey: string, call: () => Promise<WebhookOutcome>): Promise<GuardedOutcome>;
  /** Stops timers; called when the local runtime shuts down. */
  shutdown(): void;
}

export interface CircuitTransition {
  endpointKey: string;
  from: CircuitState;
  to: CircuitState;
  at: number;
}
