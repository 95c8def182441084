/**
 * A slow, independent reference for wall-clock <-> instant conversion, used to check
 * functions/domain/zoned-time.ts. It shares nothing with it but Intl: it finds every offset in use
 * around a wall time by sampling every 30 minutes, then applies the contract's rules literally.
 */

/** Zones with odd offsets, negative DST, half-hour DST, skipped dates and many historical changes. */
export const ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Dublin',
  'America/New_York',
  'America/Los_Angeles',
  'America/St_Johns',
  'America/Sao_Paulo',
  'America/Santiago',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tehran',
  'Africa/Casablanca',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Australia/Lord_Howe',
] as const;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Every offset in use lasts far longer than this, so sampling finds all of them. */
const SAMPLE_STEP = 30 * MINUTE;
/** Offsets (LMT included) stay well inside ±17 h, so every instant of a wall time is that close. */
const SAMPLE_REACH = 17 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let cached = formatters.get(zone);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, cached);
  }
  return cached;
}

/** The wall clock at an instant, encoded as UTC epoch ms (for years 1000..9999 only). */
export function wallMs(instant: number, zone: string): number {
  const parts = formatter(zone).formatToParts(instant);
  const field = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value ?? Number.NaN);
  const wall = new Date(0);
  wall.setUTCFullYear(field('year'), field('month') - 1, field('day'));
  wall.setUTCHours(field('hour'), field('minute'), field('second'), ((instant % 1000) + 1000) % 1000);
  return wall.getTime();
}

export const offsetMs = (instant: number, zone: string): number => wallMs(instant, zone) - instant;

/** `YYYY-MM-DD` and `HH:MM` as a wall-clock value encoded as UTC epoch ms. */
export function wallOf(localDate: string, localTime: string): number {
  const [year, month, day] = localDate.split('-').map(Number) as [number, number, number];
  const [hour, minute] = localTime.split(':').map(Number) as [number, number];
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, 0, 0);
  return wall.getTime();
}

export function dateAndTimeOf(wall: number): { localDate: string; localTime: string } {
  const iso = new Date(wall).toISOString();
  return { localDate: iso.slice(0, 10), localTime: iso.slice(11, 16) };
}

export interface Reference {
  /** The instant the contract asks for. */
  instant: number;
  /** False when the wall time does not exist (a gap): then `instant` is moved forward by the gap. */
  exists: boolean;
}

/**
 * The contract's instant for a wall time: the earliest instant whose clock reads exactly `wall`;
 * in a gap, the wall time read with the offset in force just before the jump over it.
 */
export function referenceInstant(wall: number, zone: string): Reference {
  const samples: { at: number; offset: number }[] = [];
  for (let at = wall - SAMPLE_REACH; at <= wall + SAMPLE_REACH; at += SAMPLE_STEP) {
    samples.push({ at, offset: offsetMs(at, zone) });
  }
  const exact = [...new Set(samples.map((sample) => sample.offset))]
    .map((offset) => wall - offset)
    .filter((instant) => wallMs(instant, zone) === wall);
  if (exact.length > 0) return { instant: Math.min(...exact), exists: true };
  for (let i = 0; i + 1 < samples.length; i++) {
    const [before, after] = [samples[i]!, samples[i + 1]!];
    if (before.at + before.offset < wall && after.at + after.offset > wall) {
      return { instant: wall - before.offset, exists: false };
    }
  }
  throw new Error(`no instant and no gap found for ${new Date(wall).toISOString()} in ${zone}`);
}

export interface Transition {
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

/** Offset changes in a year (weekly samples, then bisection to the second). */
export function transitionsIn(year: number, zone: string): Transition[] {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const transitions: Transition[] = [];
  for (let from = start; from < end; from += 7 * DAY) {
    const to = Math.min(from + 7 * DAY, end);
    const [offsetBefore, offsetAfter] = [offsetMs(from, zone), offsetMs(to, zone)];
    if (offsetBefore !== offsetAfter)
      transitions.push({ at: bisect(from, to, zone), offsetBefore, offsetAfter });
  }
  return transitions;
}

function bisect(from: number, to: number, zone: string): number {
  const before = offsetMs(from, zone);
  let [low, high] = [from, to];
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetMs(middle, zone) === before) low = middle;
    else high = middle;
  }
  return high;
}
