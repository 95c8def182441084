/**
 * The Idempotency-Keys of writes whose outcome the console does not know yet.
 *
 * The API runs a POST once per key and replays its first answer to every repeat with the same
 * key and request (functions/api/idempotency.ts). A fresh key per click would defeat that when
 * it matters most: the answer is lost (network, 5xx), the operator clicks again, and the action
 * runs twice. So the key of a request stays here until the request gets a definite answer; a
 * repeat of the same request (same path, body and If-Match) goes out with the same key, anything
 * else gets a fresh one. After a definite answer the key is forgotten, so doing the same thing
 * again on purpose (another "Redrive all") is a new action. Kept for the whole session (in the
 * ApiClient), so a repeat from another visit to the same section still finds its key.
 */
export class PendingKeys {
  /** Request (see {@link requestIdentity}) → its key; only requests still without an answer. */
  private readonly keys = new Map<string, string>();

  constructor(
    /** Whether a failure is the API's definite answer (ApiError.isDefinite), not a lost one. */
    private readonly isDefinite: (error: unknown) => boolean,
    private readonly newKey: () => string = newIdempotencyKey,
  ) {}

  /** Sends the request with its key, and forgets the key once the answer is definite. */
  async send<T>(request: string, send: (idempotencyKey: string) => Promise<T>): Promise<T> {
    const key = this.keyFor(request);
    try {
      const answer = await send(key);
      this.settle(request);
      return answer;
    } catch (error) {
      if (this.isDefinite(error)) this.settle(request);
      throw error;
    }
  }

  /** The key of this request: the one it already went out with, if still unanswered, or a new one. */
  keyFor(request: string): string {
    let key = this.keys.get(request);
    if (key === undefined) {
      key = this.newKey();
      this.keys.set(request, key);
    }
    return key;
  }

  /** The request has its answer: a repeat from now on is a new action. */
  settle(request: string): void {
    this.keys.delete(request);
  }
}

/** What makes two writes the same request for the API's idempotency: method, path, body (and If-Match). */
export function requestIdentity(method: string, path: string, body: unknown, ifMatch?: string): string {
  return JSON.stringify([method, path, body ?? null, ifMatch ?? null]);
}

/**
 * A fresh Idempotency-Key. `crypto.randomUUID` needs a secure context (https, or http on
 * loopback); elsewhere the same 122 random bits come from getRandomValues.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
