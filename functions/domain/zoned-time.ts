/**
 * Calendar dates, wall-clock times and IANA time zones, on top of `Intl.DateTimeFormat` (full ICU),
 * so the service needs no time-zone library and follows the tz database Node ships with.
 *
 * Everything here is pure: instants are epoch milliseconds passed in, never read from a clock.
 *
 * A "local ms" value below is a wall-clock reading encoded as if it were UTC epoch ms
 * (`2027-03-14 02:30` -> `Date.UTC(2027, 2, 14, 2, 30)`); the instant of a wall time is its local
 * ms minus the zone's offset at that instant.
 *
 * @example
 * zonedInstant('2027-03-14', '02:30', 'America/New_York'); // 03:30 EDT, 2027-03-14T07:30:00Z
 * localDateOf(Date.UTC(2026, 11, 31, 19), 'Pacific/Kiritimati'); // '2027-01-01'
 */

const MS_PER_SECOND = 1_000;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** IANA names start with a letter; this keeps out offsets (`+05:30`) that newer ICUs accept. */
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

interface WallClock extends CalendarDate {
  hour: number;
  minute: number;
  second: number;
}

/**
 * One formatter per zone: building a DateTimeFormat costs far more than using one. Keyed by the
 * lower-cased name because Intl matches zone names case-insensitively, which also bounds the cache
 * by the number of real zones whatever strings clients send (only valid names are stored).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  if (!TIME_ZONE_NAME.test(timeZone)) return undefined;
  const key = timeZone.toLowerCase();
  const cached = formatters.get(key);
  if (cached !== undefined) return cached;
  try {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23, not hour12: false: the latter renders midnight as "24" in some ICU versions.
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(key, formatter);
    return formatter;
  } catch {
    return undefined;
  }
}

function requireFormatter(timeZone: string): Intl.DateTimeFormat {
  const formatter = formatterFor(timeZone);
  if (formatter === undefined) throw new RangeError(`Unknown time zone: ${JSON.stringify(timeZone)}`);
  return formatter;
}

/** True for zone names Intl knows (`Europe/Berlin`, `UTC`); false for offsets and empty strings. */
export function isValidTimeZone(timeZone: string): boolean {
  return formatterFor(timeZone) !== undefined;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses a strict `YYYY-MM-DD` date of the proleptic Gregorian calendar, years 0001..9999. */
export function parseCalendarDate(date: string): CalendarDate | undefined {
  const match = CALENDAR_DATE.exec(date);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export function isValidCalendarDate(date: string): boolean {
  return parseCalendarDate(date) !== undefined;
}

/** Strict `HH:MM`, 00:00..23:59. */
export function isValidLocalTime(time: string): boolean {
  return LOCAL_TIME.test(time);
}

export function formatCalendarDate({ year, month, day }: CalendarDate): string {
  return `${formatYear(year)}-${pad2(month)}-${pad2(day)}`;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** ISO 8601: four digits inside 0000..9999, expanded with a sign outside (never hit by valid data). */
function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0');
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, for any year (Howard Hinnant's
 * `days_from_civil`). Plain arithmetic because `Date.UTC` maps years 0..99 to 1900..1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = (month + 9) % 12; // March = 0, so the leap day is the last day of the year
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function localMsOfWall(wall: WallClock): number {
  return (
    daysFromCivil(wall.year, wall.month, wall.day) * MS_PER_DAY +
    wall.hour * MS_PER_HOUR +
    wall.minute * MS_PER_MINUTE +
    wall.second * MS_PER_SECOND
  );
}

/**
 * The wall clock at an instant. formatToParts rather than parsing `format()` output: the parts do
 * not depend on the locale's punctuation, which ICU updates have changed before.
 */
function wallClockAt(instantMs: number, formatter: Intl.DateTimeFormat): WallClock {
  if (!Number.isFinite(instantMs)) throw new RangeError(`Not an instant: ${instantMs}`);
  const wall: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  let beforeChrist = false;
  for (const part of formatter.formatToParts(instantMs)) {
    if (part.type === 'era') beforeChrist = part.value === 'BC';
    else if (part.type in wall) wall[part.type as keyof WallClock] = Number(part.value);
  }
  // Intl counts years before 1 AD as 1 BC, 2 BC, ...; astronomical numbering has 0, -1, ...
  if (beforeChrist) wall.year = 1 - wall.year;
  return wall;
}

/** The zone's offset from UTC at an instant, in ms (whole seconds: tz data has no finer offsets). */
function offsetAt(instantMs: number, formatter: Intl.DateTimeFormat): number {
  const wholeSecond = Math.floor(instantMs / MS_PER_SECOND) * MS_PER_SECOND;
  return localMsOfWall(wallClockAt(wholeSecond, formatter)) - wholeSecond;
}

function localMsAt(instantMs: number, formatter: Intl.DateTimeFormat): number {
  return instantMs + offsetAt(instantMs, formatter);
}

/** `YYYY-MM-DD` of an instant in a zone. */
export function localDateOf(instantMs: number, timeZone: string): string {
  return formatCalendarDate(wallClockAt(instantMs, requireFormatter(timeZone)));
}

/**
 * The instant of a wall time in a zone. A wall time skipped by a transition (DST gap, or a whole
 * skipped date such as Pacific/Apia 2011-12-30) is read with the offset in force before the
 * transition, which moves it forward by the length of the gap; a repeated one (DST overlap) gives
 * the earlier instant. This is Temporal's `disambiguation: 'compatible'` and RFC 5545's rule.
 */
export function zonedInstant(localDate: string, localTime: string, timeZone: string): number {
  const formatter = requireFormatter(timeZone);
  const localMs = localMsOf(localDate, localTime);
  // Offsets stay within about ±16 h (LMT included), so every instant with this wall time lies
  // within a day of localMs read as UTC, and the offsets a day either side bracket a transition.
  const offsetBefore = offsetAt(localMs - MS_PER_DAY, formatter);
  const instant = localMs - offsetBefore;
  // Fast path, two Intl calls: the offset of a day earlier still holds at the instant it gives.
  // That covers every wall time away from transitions, and overlaps too: the older offset gives
  // the earlier of the two instants.
  if (offsetAt(instant, formatter) === offsetBefore) return instant;
  const offsets = [offsetBefore, offsetAt(localMs, formatter), offsetAt(localMs + MS_PER_DAY, formatter)];
  return resolveAroundTransition(localMs, offsets, formatter);
}

function resolveAroundTransition(
  localMs: number,
  offsets: readonly number[],
  formatter: Intl.DateTimeFormat,
): number {
  const candidates = [...new Set(offsets)].map((offset) => localMs - offset);
  const exact = candidates.filter((instant) => localMsAt(instant, formatter) === localMs);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap, reading the wall time with the earlier offset lands after the transition, at the
  // wall time plus the gap; with the later offset it lands before it, at the wall time minus the
  // gap. Take the earliest candidate that lands past the wall time.
  const forward = candidates.filter((instant) => localMsAt(instant, formatter) > localMs);
  return forward.length > 0 ? Math.min(...forward) : localMs - (offsets[0] ?? 0);
}

function localMsOf(localDate: string, localTime: string): number {
  const date = parseCalendarDate(localDate);
  if (date === undefined) {
    throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(localDate)}`);
  }
  const time = LOCAL_TIME.exec(localTime);
  if (time === null) throw new RangeError(`Not a local time (HH:MM): ${JSON.stringify(localTime)}`);
  return localMsOfWall({ ...date, hour: Number(time[1]), minute: Number(time[2]), second: 0 });
}
