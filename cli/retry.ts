/**
 * When the CLI tries a request again. Units: milliseconds. 429 is always retried (the API did
 * nothing); 5xx and network errors only for requests that are safe to repeat (GET, DELETE, or a
 * POST carrying an Idempotency-Key).
 */
export interface RetryPolicy {
  /** Further tries after a 5xx or a network error. */
  maxRetries: number;
  /** First backoff; doubles each time, with ±25 % jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Waits on 429 (they do not use up maxRetries). */
  maxRateLimitWaits: number;
  /** Waits on 409 "still being processed" for a request with an Idempotency-Key (about 1 s each). */
  maxInProgressWaits: number;
  /** Longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRateLimitWaits: 20,
  // Longer than the API's lease on a running request (60 s), so a slow first try is waited out.
  maxInProgressWaits: 120,
  maxRetryAfterMs: 60_000,
};

/** The backoff before retry number `retry` (0-based); `random` in [0, 1). */
export function backoffMs(policy: RetryPolicy, retry: number, random: number): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(base * (0.75 + random * 0.5));
}

/**
 * How long a Retry-After header asks to wait: seconds or an HTTP date (RFC 9110), clamped to
 * [0, max]; `fallbackMs` when absent or unreadable.
 */
export function retryAfterMs(
  header: string | null,
  nowMs: number,
  fallbackMs: number,
  maxMs: number,
): number {
  if (header === null || header.trim() === '') return Math.min(fallbackMs, maxMs);
  const trimmed = header.trim();
  const wait = /^\d+$/.test(trimmed) ? Number(trimmed) * 1_000 : Date.parse(trimmed) - nowMs;
  if (!Number.isFinite(wait)) return Math.min(fallbackMs, maxMs);
  return Math.min(maxMs, Math.max(0, wait));
}
