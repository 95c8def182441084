import type { Clock } from '#commons/clock';

export interface RateLimit {
  /** Sustained requests per second per API key. */
  ratePerSecond: number;
  /** Requests a key may make at once after being idle. */
  burst: number;
}

/**
 * A token bucket per API key, the algorithm API Gateway's throttling uses, with the same rate
 * and burst as the deployed stage (lib/config.ts `apiRateLimit`/`apiBurstLimit`). Locally the one
 * process sees every request, so the limit is exact; in AWS it runs per container, behind the
 * stage's own throttling.
 */
export class TokenBucketRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError('rate limit: ratePerSecond must be > 0 and burst >= 1');
    }
  }

  /** Takes one token for `keyId`; @returns 0 when allowed, else the seconds to wait. */
  take(keyId: string): number {
    const now = this.clock.now();
    const bucket = this.buckets.get(keyId) ?? { tokens: this.limit.burst, at: now };
    const refilled = Math.min(
      this.limit.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.limit.ratePerSecond,
    );
    if (refilled >= 1) {
      this.buckets.set(keyId, { tokens: refilled - 1, at: now });
      return 0;
    }
    this.buckets.set(keyId, { tokens: refilled, at: now });
    return Math.max(1, Math.ceil((1 - refilled) / this.limit.ratePerSecond));
  }
}
