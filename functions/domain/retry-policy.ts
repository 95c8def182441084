/**
 * How long to wait before trying a webhook again. Retries are data: a schedule of delays with
 * jitter, validated once at cold start, and pure functions of it (randomness is injected).
 *
 * Two kinds of wait: a *retry* after a failed attempt uses up the budget (the schedule has one
 * delay per retry); a *deferral* after a 429 or while the endpoint's circuit is open does not,
 * because the receiver asked to be left alone rather than failed.
 *
 * @example
 * retryDelayMs(DEFAULT_RETRY_POLICY, 1, Math.random); // 4_000..6_000 (5 s ± 20 %)
 * retryDelayMs(DEFAULT_RETRY_POLICY, 8, Math.random); // undefined: budget spent, to the DLQ
 */

export interface RetryPolicy {
  /** Seconds to wait before retry n+1 after n budget-using attempts (so entry 0 follows the first). */
  delaysSeconds: readonly number[];
  /** Relative jitter: 0.2 spreads each delay over ±20 %, so failed batches do not retry in step. */
  jitterRatio: number;
  /** A receiver's `Retry-After` is clamped to [min, max] seconds: trusted, but not blindly. */
  retryAfterMinSeconds: number;
  retryAfterMaxSeconds: number;
  /** Seconds to wait after a 429 without `Retry-After`, or while the circuit is open. */
  deferralSeconds: number;
}

/**
 * The longest wait a policy may produce, in seconds: 12 h is the SQS visibility-timeout ceiling,
 * the mechanism that holds a message back for more than the 15 minutes `DelaySeconds` allows.
 */
export const MAX_DELAY_SECONDS = 43_200;

/** Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (10 h + 20 % is exactly 12 h). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  delaysSeconds: Object.freeze([5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]),
  jitterRatio: 0.2,
  retryAfterMinSeconds: 5,
  retryAfterMaxSeconds: 3_600,
  deferralSeconds: 30,
});

const MS_PER_SECOND = 1_000;

/**
 * The wait before the next retry after `attemptsMade` budget-using attempts (>= 1), in ms; or
 * undefined when the budget is spent. A `Retry-After` (clamped) is a floor: the receiver said when
 * it can take more, and retrying earlier would only fail again.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attemptsMade: number,
  random: () => number,
  retryAfterSeconds?: number,
): number | undefined {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be an integer >= 1, got ${attemptsMade}`);
  }
  const baseSeconds = policy.delaysSeconds[attemptsMade - 1];
  if (baseSeconds === undefined) return undefined;
  const r = unitRandom(random);
  const jittered = withJitter(baseSeconds, policy.jitterRatio, r);
  const floor = retryAfterFloor(policy, retryAfterSeconds, r);
  return toMs(floor === undefined ? jittered : Math.max(jittered, floor));
}

/** The wait after a 429 or while the circuit is open, in ms; does not use up the retry budget. */
export function deferralDelayMs(
  policy: RetryPolicy,
  random: () => number,
  retryAfterSeconds?: number,
): number {
  const r = unitRandom(random);
  return toMs(
    retryAfterFloor(policy, retryAfterSeconds, r) ??
      withJitter(policy.deferralSeconds, policy.jitterRatio, r),
  );
}

/**
 * A `Retry-After` header as seconds from `nowMs` (>= 0): delay-seconds or an HTTP-date in any of
 * the three forms RFC 9110 §5.6.7 requires recipients to accept. Anything else is undefined;
 * deliberately not `Date.parse`, which turns strings like "1" or "soon 5" into dates.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const dateMs = parseHttpDate(value, nowMs);
  if (dateMs === undefined) return undefined;
  return Math.max(0, Math.ceil((dateMs - nowMs) / MS_PER_SECOND));
}

/** Problems with a policy, empty when it is usable; meant to fail a cold start loudly. */
export function validateRetryPolicy(policy: RetryPolicy): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  const isSeconds = (value: number): boolean => Number.isFinite(value) && value >= 0;
  check(policy.delaysSeconds.every(isSeconds), 'delaysSeconds must all be finite numbers >= 0');
  check(
    Number.isFinite(policy.jitterRatio) && policy.jitterRatio >= 0 && policy.jitterRatio < 1,
    'jitterRatio must be in [0, 1)',
  );
  check(isSeconds(policy.retryAfterMinSeconds), 'retryAfterMinSeconds must be a finite number >= 0');
  check(
    isSeconds(policy.retryAfterMaxSeconds) && policy.retryAfterMaxSeconds >= policy.retryAfterMinSeconds,
    'retryAfterMaxSeconds must be a finite number >= retryAfterMinSeconds',
  );
  check(
    Number.isFinite(policy.deferralSeconds) && policy.deferralSeconds > 0,
    'deferralSeconds must be a finite number > 0',
  );
  if (problems.length > 0) return problems;
  const longest = Math.max(...policy.delaysSeconds, policy.retryAfterMaxSeconds, policy.deferralSeconds);
  check(
    longest * (1 + policy.jitterRatio) <= MAX_DELAY_SECONDS,
    `the longest wait with jitter (${longest} s + ${policy.jitterRatio * 100} %) exceeds ${MAX_DELAY_SECONDS} s`,
  );
  return problems;
}

/** An injected random source is trusted only as far as [0, 1]. */
function unitRandom(random: () => number): number {
  const r = random();
  return Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0.5;
}

/** Symmetric jitter: `seconds` ± ratio, r = 0.5 gives `seconds` itself. */
function withJitter(seconds: number, ratio: number, r: number): number {
  return seconds * (1 + ratio * (2 * r - 1));
}

/**
 * The clamped `Retry-After`, jittered upwards only: never earlier than the receiver asked, but
 * spread so every deferred message does not return in the same second.
 */
function retryAfterFloor(
  policy: RetryPolicy,
  retryAfterSeconds: number | undefined,
  r: number,
): number | undefined {
  if (retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 0) {
    return undefined;
  }
  const clamped = Math.min(
    policy.retryAfterMaxSeconds,
    Math.max(policy.retryAfterMinSeconds, retryAfterSeconds),
  );
  return clamped * (1 + policy.jitterRatio * r);
}

const toMs = (seconds: number): number => Math.round(seconds * MS_PER_SECOND);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`,
  'i',
);
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete) */
const RFC_850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
  'i',
);
/** `Sun Nov  6 08:49:37 1994` (obsolete, C's asctime) */
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

interface DateFields {
  day: number;
  monthName: string;
  year: number;
  hour: number;
  minute: number;
  second: number;
}

function parseHttpDate(value: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match !== null) {
    return toEpochMs({
      ...timeOf(match, 4),
      day: Number(match[1]),
      monthName: match[2] ?? '',
      year: Number(match[3]),
    });
  }
  match = RFC_850.exec(value);
  if (match !== null) {
    const year = fullYearOf(Number(match[3]), nowMs);
    return toEpochMs({ ...timeOf(match, 4), day: Number(match[1]), monthName: match[2] ?? '', year });
  }
  match = ASCTIME.exec(value);
  if (match !== null) {
    return toEpochMs({
      ...timeOf(match, 3),
      day: Number(match[2]),
      monthName: match[1] ?? '',
      year: Number(match[6]),
    });
  }
  return undefined;
}

/** Hour, minute and second from three consecutive capture groups. */
function timeOf(match: RegExpExecArray, first: number): Pick<DateFields, 'hour' | 'minute' | 'second'> {
  return { hour: Number(match[first]), minute: Number(match[first + 1]), second: Number(match[first + 2]) };
}

/** RFC 9110: a two-digit year more than 50 years ahead is the most recent past year like it. */
function fullYearOf(twoDigitYear: number, nowMs: number): number {
  const nowYear = new Date(nowMs).getUTCFullYear();
  const year = Math.floor(nowYear / 100) * 100 + twoDigitYear;
  return year > nowYear + 50 ? year - 100 : year;
}

function toEpochMs({ day, monthName, year, hour, minute, second }: DateFields): number | undefined {
  // 60 allows a leap second, which the epoch cannot represent; it rolls over into the next minute.
  // Years before 1000 are garbage here, and Date.UTC would read 0..99 as 1900..1999.
  if (year < 1000 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const dayStartMs = Date.UTC(year, MONTHS.indexOf(monthName.toLowerCase()), day);
  // Date.UTC rolls 31 Feb over into March; a day that does not round-trip does not exist.
  if (new Date(dayStartMs).getUTCDate() !== day) return undefined;
  return dayStartMs + ((hour * 60 + minute) * 60 + second) * MS_PER_SECOND;
}
