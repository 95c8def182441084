import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  birthdayRule,
  nextOccurrence,
  occurrenceAfter,
  occurrenceInYear,
  type AnnualRule,
  type LeapDayPolicy,
} from '#domain/schedule';
import { localDateOf } from '#domain/zoned-time';
import { referenceInstant, wallMs, wallOf, ZONES } from './zone-oracle';

const NOW_MIN = Date.UTC(1970, 0, 1);
const NOW_MAX = Date.UTC(2300, 0, 1);
const NUM_RUNS = 600;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');
const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const isLeap = (year: number): boolean => daysIn(year, 2) === 29;

/** Birthdays in 1800..2200, with 29 Feb and the days around New Year over-represented. */
const birthday = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        year: fc.integer({ min: 1800, max: 2200 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
      })
      .map(
        ({ year, month, day }) =>
          `${pad(year, 4)}-${pad(month, 2)}-${pad(Math.min(day, daysIn(year, month)), 2)}`,
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 450, max: 550 })
      .map((quarter) => `${pad(quarter * 4, 4)}-02-29`)
      .filter((date) => isLeap(Number(date.slice(0, 4)))),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1800, max: 2200 }),
        fc.constantFrom('01-01', '12-31', '12-30', '03-01', '02-28'),
      )
      .map(([year, monthDay]) => `${pad(year, 4)}-${monthDay}`),
  },
);

const rule = fc
  .record({
    birthday,
    timezone: fc.constantFrom(...ZONES),
    leapDay: fc.constantFrom<LeapDayPolicy>('feb28', 'mar1'),
  })
  .map(({ birthday: date, timezone, leapDay }): AnnualRule => ({
    ...birthdayRule({ birthday: date, timezone }),
    leapDay,
  }));

const yearOf = (localDate: string): number => Number(localDate.slice(0, 4));

/** The month and day a rule's occurrence must fall on in a given year. */
function expectedMonthDay(rule: AnnualRule, year: number): string {
  const monthDay = rule.date.slice(5);
  if (monthDay !== '02-29' || isLeap(year)) return monthDay;
  return rule.leapDay === 'feb28' ? '02-28' : '03-01';
}

/** Checks one occurrence against the contract, with the reference implementation as the oracle. */
function expectWellFormed(rule: AnnualRule, localDate: string, dueAt: number): void {
  const year = yearOf(localDate);
  expect(year).toBeGreaterThanOrEqual(rule.firstYear);
  expect(localDate.slice(5)).toBe(expectedMonthDay(rule, year));
  const wall = wallOf(localDate, rule.sendAt);
  const reference = referenceInstant(wall, rule.timeZone);
  expect(dueAt).toBe(reference.instant);
  if (reference.exists) {
    // The usual case: 09:00:00 on that very local date.
    expect(localDateOf(dueAt, rule.timeZone)).toBe(localDate);
    expect(wallMs(dueAt, rule.timeZone)).toBe(wall);
  } else {
    // 09:00 did not exist that day: due at 09:00 plus the gap. The clock read 09:00 minus the gap
    // `shift` earlier, so it jumped forward by exactly `shift` across 09:00 in between.
    const shift = wallMs(dueAt, rule.timeZone) - wall;
    expect(shift).toBeGreaterThan(0);
    expect(wallMs(dueAt - shift, rule.timeZone)).toBe(wall - shift);
  }
}

describe('schedule properties (18 zones, birthdays 1800..2200, now 1970..2300)', () => {
  it('given any rule and now, when the next occurrence is computed, then it is due after now, well-formed and minimal', () => {
    fc.assert(
      fc.property(rule, fc.integer({ min: NOW_MIN, max: NOW_MAX }), (annual, now) => {
        const next = nextOccurrence(annual, now);
        expect(next.dueAt).toBeGreaterThan(now);
        expectWellFormed(annual, next.localDate, next.dueAt);
        const previousYear = yearOf(next.localDate) - 1;
        if (previousYear >= annual.firstYear) {
          expect(occurrenceInYear(annual, previousYear).dueAt).toBeLessThanOrEqual(now);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('given now within a second of an occurrence, when the next one is computed, then it flips exactly at the due instant', () => {
    const around = fc.record({
      annual: rule,
      year: fc.integer({ min: 1970, max: 2299 }),
      deltaMs: fc.constantFrom(-1_000, -1, 0, 1, 1_000),
    });
    fc.assert(
      fc.property(around, ({ annual, year, deltaMs }) => {
        fc.pre(year >= annual.firstYear);
        const occurrence = occurrenceInYear(annual, year);
        const next = nextOccurrence(annual, occurrence.dueAt + deltaMs);
        expect(next).toEqual(deltaMs < 0 ? occurrence : occurrenceInYear(annual, year + 1));
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });

  it('given a handled occurrence, when advanced, then the result is next year and what nextOccurrence gives right after it', () => {
    fc.assert(
      fc.property(rule, fc.integer({ min: NOW_MIN, max: NOW_MAX }), (annual, now) => {
        const handled = nextOccurrence(annual, now);
        const following = occurrenceAfter(annual, handled.localDate);
        expect(yearOf(following.localDate)).toBe(yearOf(handled.localDate) + 1);
        expect(following.dueAt).toBeGreaterThan(handled.dueAt);
        expect(following).toEqual(nextOccurrence(annual, handled.dueAt));
        expectWellFormed(annual, following.localDate, following.dueAt);
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });
});
