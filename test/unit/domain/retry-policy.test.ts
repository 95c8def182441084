import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  MAX_DELAY_SECONDS,
  deferralDelayMs,
  parseRetryAfter,
  retryDelayMs,
  validateRetryPolicy,
  type RetryPolicy,
} from '#domain/retry-policy';

/** mulberry32: a tiny seeded generator, so jitter runs are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const always = (value: number) => (): number => value;
const policy = DEFAULT_RETRY_POLICY;
const at = (iso: string): number => new Date(iso).getTime();

describe('DEFAULT_RETRY_POLICY', () => {
  it('given the default, when inspected, then it has the Svix shape and is valid and frozen', () => {
    expect(policy).toEqual({
      delaysSeconds: [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000],
      jitterRatio: 0.2,
      retryAfterMinSeconds: 5,
      retryAfterMaxSeconds: 3_600,
      deferralSeconds: 30,
    });
    expect(validateRetryPolicy(policy)).toEqual([]);
    expect(Object.isFrozen(policy) && Object.isFrozen(policy.delaysSeconds)).toBe(true);
  });
});

describe('retryDelayMs', () => {
  it.each([
    [0, 4_000],
    [0.5, 5_000],
    [1, 6_000],
  ])(
    'given the first failure and random %d, when delayed, then the wait is %i ms (5 s ± 20 %)',
    (random, expected) => {
      expect(retryDelayMs(policy, 1, always(random))).toBe(expected);
    },
  );

  it('given the seventh failure, when delayed, then the wait is 10 h ± 20 %, at most the 12 h SQS ceiling', () => {
    expect(retryDelayMs(policy, 7, always(0))).toBe(28_800_000);
    expect(retryDelayMs(policy, 7, always(1))).toBe(MAX_DELAY_SECONDS * 1_000);
  });

  it('given the budget is spent, when delayed, then there is no further retry', () => {
    expect(retryDelayMs(policy, 8, always(0.5))).toBeUndefined();
    expect(retryDelayMs(policy, 100, always(0.5), 60)).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])(
    'given %d attempts made, when delayed, then it throws a RangeError',
    (attempts) => {
      expect(() => retryDelayMs(policy, attempts, always(0.5))).toThrow(RangeError);
    },
  );

  it('given any seed and attempt, when delayed, then the wait stays within the jitter bounds of its step', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: policy.delaysSeconds.length }),
        (seed, attempts) => {
          const random = seededRandom(seed);
          const base = policy.delaysSeconds[attempts - 1]! * 1_000;
          for (let i = 0; i < 20; i++) {
            const delay = retryDelayMs(policy, attempts, random)!;
            expect(delay).toBeGreaterThanOrEqual(base * 0.8);
            expect(delay).toBeLessThanOrEqual(base * 1.2);
            expect(Number.isInteger(delay)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('given a seeded random, when many delays are drawn, then they spread over the jitter range', () => {
    const random = seededRandom(42);
    const delays = Array.from({ length: 1_000 }, () => retryDelayMs(policy, 2, random)!);
    expect(Math.min(...delays)).toBeLessThan(300_000 * 0.82);
    expect(Math.max(...delays)).toBeGreaterThan(300_000 * 1.18);
  });

  it('given a Retry-After longer than the step, when delayed, then Retry-After is the floor', () => {
    expect(retryDelayMs(policy, 1, always(0), 600)).toBe(600_000);
    expect(retryDelayMs(policy, 1, always(1), 600)).toBe(720_000);
  });

  it('given a Retry-After shorter than the step, when delayed, then the step wins', () => {
    expect(retryDelayMs(policy, 5, always(0.5), 60)).toBe(18_000_000);
  });

  it('given Retry-After values outside [5 s, 1 h], when delayed, then they are clamped', () => {
    expect(retryDelayMs(policy, 1, always(0), 0)).toBe(5_000);
    expect(retryDelayMs(policy, 2, always(0), 86_400)).toBe(3_600_000);
    expect(retryDelayMs(policy, 1, always(0), -5)).toBe(4_000);
    expect(retryDelayMs(policy, 1, always(0), Number.NaN)).toBe(4_000);
  });

  it('given a misbehaving random source, when delayed, then the wait still stays within bounds', () => {
    expect(retryDelayMs(policy, 1, always(7))).toBe(6_000);
    expect(retryDelayMs(policy, 1, always(-3))).toBe(4_000);
    expect(retryDelayMs(policy, 1, always(Number.NaN))).toBe(5_000);
  });
});

describe('deferralDelayMs', () => {
  it('given a 429 without Retry-After, when deferred, then the wait is 30 s ± 20 %', () => {
    expect(deferralDelayMs(policy, always(0))).toBe(24_000);
    expect(deferralDelayMs(policy, always(1))).toBe(36_000);
  });

  it('given a Retry-After, when deferred, then the wait is at least that, jittered upwards only', () => {
    expect(deferralDelayMs(policy, always(0), 120)).toBe(120_000);
    expect(deferralDelayMs(policy, always(1), 120)).toBe(144_000);
  });

  it('given Retry-After values outside [5 s, 1 h], when deferred, then they are clamped', () => {
    expect(deferralDelayMs(policy, always(0), 0)).toBe(5_000);
    expect(deferralDelayMs(policy, always(0), 1e9)).toBe(3_600_000);
  });
});

describe('parseRetryAfter', () => {
  const now = at('1994-11-06T08:49:07Z');

  it.each([
    ['120', 120],
    [' 120 ', 120],
    ['0', 0],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 30],
    ['sun, 06 nov 1994 08:49:37 gmt', 30],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 30],
    ['Sun Nov  6 08:49:37 1994', 30],
    ['Sun, 06 Nov 1994 08:00:00 GMT', 0],
  ])('given %j, when parsed, then it is %i s from now', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    '',
    'soon',
    '-1',
    '1.5',
    '+30',
    '1e3',
    '2027-01-01',
    'Sun, 06 Nov 1994 08:49:37 PST',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 25:49:37 GMT',
    'Sun, 06 Nov 0094 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37',
  ])('given %j, when parsed, then it is undefined', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  it('given an HTTP-date with a fraction of a second to go, when parsed, then it rounds up (never retries early)', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now + 29_500)).toBe(1);
  });

  it('given an RFC 850 two-digit year, when parsed, then a year over 50 years ahead is read as the past', () => {
    const in2070 = at('2070-01-01T00:00:00Z');
    expect(parseRetryAfter('Wednesday, 01-Jan-70 00:01:00 GMT', in2070)).toBe(60);
    expect(parseRetryAfter('Monday, 01-Jan-40 00:00:00 GMT', at('2000-01-01T00:00:00Z'))).toBeGreaterThan(0);
    expect(parseRetryAfter('Sunday, 01-Jan-51 00:00:00 GMT', at('2000-01-01T00:00:00Z'))).toBe(0);
  });
});

describe('validateRetryPolicy', () => {
  const valid: RetryPolicy = { ...DEFAULT_RETRY_POLICY };

  it.each<[string, Partial<RetryPolicy>, string]>([
    ['a negative delay', { delaysSeconds: [5, -1] }, 'delaysSeconds'],
    ['an infinite delay', { delaysSeconds: [Infinity] }, 'delaysSeconds'],
    ['jitter of 100 %', { jitterRatio: 1 }, 'jitterRatio'],
    ['negative jitter', { jitterRatio: -0.1 }, 'jitterRatio'],
    [
      'Retry-After max below min',
      { retryAfterMinSeconds: 60, retryAfterMaxSeconds: 30 },
      'retryAfterMaxSeconds',
    ],
    ['no deferral', { deferralSeconds: 0 }, 'deferralSeconds'],
    ['a delay beyond 12 h with jitter', { delaysSeconds: [5, 40_000] }, `${MAX_DELAY_SECONDS}`],
  ])('given %s, when validated, then the problem is named', (_description, change, named) => {
    const problems = validateRetryPolicy({ ...valid, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(named);
  });

  it('given a schedule shrunk for tests, when validated, then it is fine', () => {
    expect(validateRetryPolicy({ ...valid, delaysSeconds: [0, 1, 2], deferralSeconds: 1 })).toEqual([]);
  });
});
