/**
 * When an annually recurring local date and time (a birthday at 09:00) is due.
 *
 * An occurrence belongs to a local year: its `localDate` is the date it is held on in the rule's
 * zone (28 Feb or 1 Mar for a 29 Feb date in a common year), whatever UTC year its instant falls
 * in. That date, not the instant, identifies the occurrence (see occurrence-id.ts), so it stays
 * the nominal date even on the rare day a transition skips: Pacific/Apia has no 2011-12-30, and an
 * occurrence on that date is due at 09:00 on 2011-12-31, still with `localDate` 2011-12-30.
 *
 * @example
 * const rule = birthdayRule({ birthday: '1992-02-29', timezone: 'Asia/Kolkata' });
 * nextOccurrence(rule, Date.UTC(2027, 0, 1)); // { localDate: '2027-02-28', dueAt: 2027-02-28T03:30Z }
 */
import {
  formatCalendarDate,
  isLeapYear,
  localDateOf,
  parseCalendarDate,
  zonedInstant,
  type CalendarDate,
} from '#domain/zoned-time';

export type LeapDayPolicy = 'feb28' | 'mar1';

/** An annually recurring local date+time. */
export interface AnnualRule {
  /** The original `YYYY-MM-DD`, e.g. the birthday; only its month and day recur. */
  date: string;
  /** IANA time zone the date and time are read in. */
  timeZone: string;
  /** Local wall time, `HH:MM`. */
  sendAt: string;
  /** Where a 29 February date falls in common years. */
  leapDay: LeapDayPolicy;
  /** No occurrence before this (local) year. */
  firstYear: number;
}

export interface ScheduledOccurrence {
  /** `YYYY-MM-DD` in the rule's zone; identifies the occurrence. */
  localDate: string;
  /** The instant (epoch ms) it is due. */
  dueAt: number;
}

export const BIRTHDAY_SEND_AT = '09:00';

const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/**
 * The rule of a user's birthday: 09:00 local, 29 Feb kept on 28 Feb in common years, and nothing
 * on the day of birth itself (the first birthday is a year later).
 */
export function birthdayRule(user: { birthday: string; timezone: string }): AnnualRule {
  return {
    date: user.birthday,
    timeZone: user.timezone,
    sendAt: BIRTHDAY_SEND_AT,
    leapDay: 'feb28',
    firstYear: requireDate(user.birthday).year + 1,
  };
}

/** The occurrence held in a given local year (ignores `firstYear`). */
export function occurrenceInYear(rule: AnnualRule, year: number): ScheduledOccurrence {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`Year out of range ${MIN_YEAR}..${MAX_YEAR}: ${year}`);
  }
  const localDate = formatCalendarDate(dateInYear(requireDate(rule.date), year, rule.leapDay));
  return { localDate, dueAt: zonedInstant(localDate, rule.sendAt, rule.timeZone) };
}

/**
 * The earliest occurrence due strictly after `nowMs` (and not before `firstYear`): a rule created
 * or changed at 09:00:00 local on the day itself, or later, starts with next year's.
 */
export function nextOccurrence(rule: AnnualRule, nowMs: number): ScheduledOccurrence {
  const today = requireDate(localDateOf(nowMs, rule.timeZone));
  // Last year's occurrence can still be ahead in the first days of a year: a transition may have
  // pushed it past New Year (Pacific/Kiritimati skipped 1994-12-31). No transition ever moved a
  // clock by days, so after the first week it is certainly past and costs no Intl calls.
  const lastYearMayBeAhead = today.month === 1 && today.day <= 7;
  const fromYear = Math.max(rule.firstYear, lastYearMayBeAhead ? today.year - 1 : today.year, MIN_YEAR);
  for (let year = fromYear; year <= MAX_YEAR; year++) {
    const occurrence = occurrenceInYear(rule, year);
    if (occurrence.dueAt > nowMs) return occurrence;
  }
  throw new RangeError(`No occurrence after ${new Date(nowMs).toISOString()} before year ${MAX_YEAR + 1}`);
}

/**
 * The occurrence of the local year after `localDate`'s (never before `firstYear`); advances the
 * schedule once an occurrence has been handled, whatever the clock says.
 */
export function occurrenceAfter(rule: AnnualRule, localDate: string): ScheduledOccurrence {
  return occurrenceInYear(rule, Math.max(requireDate(localDate).year + 1, rule.firstYear));
}

/**
 * The rule of any dated event: `yearly` recurs on every anniversary of `date` from the first one
 * on (the date itself is the origin: a wedding, a birth), `once` happens on `date` itself.
 */
export interface EventRule extends AnnualRule {
  once: boolean;
}

export function eventRule(input: {
  date: string;
  timeZone: string;
  sendAt: string;
  leapDay: LeapDayPolicy;
  recurrence: 'yearly' | 'once';
}): EventRule {
  const year = requireDate(input.date).year;
  const once = input.recurrence === 'once';
  return {
    date: input.date,
    timeZone: input.timeZone,
    sendAt: input.sendAt,
    leapDay: input.leapDay,
    firstYear: once ? year : year + 1,
    once,
  };
}

/** The occurrence held in a local year, or null when the rule has none that year. */
export function scheduledInYear(rule: EventRule, year: number): ScheduledOccurrence | null {
  if (year < rule.firstYear || (rule.once && year !== rule.firstYear)) return null;
  return occurrenceInYear(rule, year);
}

/** The first occurrence due strictly after `nowMs`, or null when a one-off event is past. */
export function nextScheduled(rule: EventRule, nowMs: number): ScheduledOccurrence | null {
  if (!rule.once) return nextOccurrence(rule, nowMs);
  const only = occurrenceInYear(rule, rule.firstYear);
  return only.dueAt > nowMs ? only : null;
}

/** The occurrence after the one on `localDate` (null for a one-off event: it has no second). */
export function scheduledAfter(rule: EventRule, localDate: string): ScheduledOccurrence | null {
  return rule.once ? null : occurrenceAfter(rule, localDate);
}

/** The local year an occurrence's `localDate` belongs to. */
export const localYearOf = (localDate: string): number => requireDate(localDate).year;

/** A mean Gregorian year in ms: whole years between two instants round to the right count. */
const MEAN_YEAR_MS = 365.2425 * 86_400_000;

/**
 * The local year of the occurrence that an anchor (an occurrence as last written) stands for at
 * `at`, an instant of the same yearly slot some whole number of years on (ADR 0009). Undefined
 * when `at` is before the anchor's year: the anchor is a later year's occurrence (scheduled after
 * this year's had passed), so nothing is due at `at`. A few hours of DST shift or a day of leap
 * shift between `at` and the anchor's instant never reach half a year, so the rounding is exact.
 *
 * @example
 * yearAtSlot({ localDate: '2026-06-15', dueAt: Date.UTC(2026, 5, 15, 9) }, Date.UTC(2028, 5, 15, 9)); // 2028
 */
export function yearAtSlot(anchor: ScheduledOccurrence, at: number): number | undefined {
  const years = Math.round((at - anchor.dueAt) / MEAN_YEAR_MS);
  return years < 0 ? undefined : localYearOf(anchor.localDate) + years;
}

function dateInYear(original: CalendarDate, year: number, leapDay: LeapDayPolicy): CalendarDate {
  if (original.month === 2 && original.day === 29 && !isLeapYear(year)) {
    return leapDay === 'feb28' ? { year, month: 2, day: 28 } : { year, month: 3, day: 1 };
  }
  return { year, month: original.month, day: original.day };
}

function requireDate(date: string): CalendarDate {
  const parsed = parseCalendarDate(date);
  if (parsed === undefined) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return parsed;
}
