import { describe, expect, it } from 'vitest';
import { sameSlot, slotOf } from '#ports/scheduler-state';
import {
  BIRTHDAY_SEND_AT,
  birthdayRule,
  nextOccurrence,
  occurrenceAfter,
  occurrenceInYear,
  yearAtSlot,
  type AnnualRule,
  type ScheduledOccurrence,
} from '#domain/schedule';

const at = (iso: string): number => new Date(iso).getTime();
const occurrence = (localDate: string, dueAtIso: string): ScheduledOccurrence => ({
  localDate,
  dueAt: at(dueAtIso),
});

describe('birthdayRule', () => {
  it('given a user, when the rule is derived, then it is 09:00 local, 29 Feb on 28 Feb, from the first birthday on', () => {
    expect(birthdayRule({ birthday: '1990-06-15', timezone: 'Europe/Berlin' })).toEqual({
      date: '1990-06-15',
      timeZone: 'Europe/Berlin',
      sendAt: '09:00',
      leapDay: 'feb28',
      firstYear: 1991,
    } satisfies AnnualRule);
    expect(BIRTHDAY_SEND_AT).toBe('09:00');
  });

  it('given an impossible birthday, when the rule is derived, then it throws a RangeError', () => {
    expect(() => birthdayRule({ birthday: '1990-02-29', timezone: 'UTC' })).toThrow(RangeError);
  });
});

describe('occurrenceInYear', () => {
  const leapling = (leapDay: AnnualRule['leapDay']): AnnualRule => ({
    ...birthdayRule({ birthday: '2000-02-29', timezone: 'UTC' }),
    leapDay,
  });

  it.each([
    ['feb28', 2028, occurrence('2028-02-29', '2028-02-29T09:00:00Z')],
    ['mar1', 2028, occurrence('2028-02-29', '2028-02-29T09:00:00Z')],
    ['feb28', 2027, occurrence('2027-02-28', '2027-02-28T09:00:00Z')],
    ['mar1', 2027, occurrence('2027-03-01', '2027-03-01T09:00:00Z')],
    ['feb28', 2100, occurrence('2100-02-28', '2100-02-28T09:00:00Z')],
    ['mar1', 2400, occurrence('2400-02-29', '2400-02-29T09:00:00Z')],
  ] as const)(
    'given a 29 Feb date with policy %s, when held in %i, then it falls on %o',
    (policy, year, expected) => {
      expect(occurrenceInYear(leapling(policy), year)).toEqual(expected);
    },
  );

  it('given a 1 Jan birthday in Pacific/Kiritimati (+14), when held, then its local year differs from its UTC year', () => {
    const rule = birthdayRule({ birthday: '1990-01-01', timezone: 'Pacific/Kiritimati' });
    expect(occurrenceInYear(rule, 2027)).toEqual(occurrence('2027-01-01', '2026-12-31T19:00:00Z'));
  });

  it('given a 31 Dec birthday in Pacific/Pago_Pago (-11), when now is 08:59:59 local, then 20:00 UTC that day is next', () => {
    const rule = birthdayRule({ birthday: '1990-12-31', timezone: 'Pacific/Pago_Pago' });
    expect(nextOccurrence(rule, at('2027-12-31T19:59:59Z'))).toEqual(
      occurrence('2027-12-31', '2027-12-31T20:00:00Z'),
    );
  });

  it('given a 31 Dec birthday in Pacific/Pago_Pago, when it is already 1 Jan in UTC but 31 Dec 13:00 local, then next year is next', () => {
    const rule = birthdayRule({ birthday: '1990-12-31', timezone: 'Pacific/Pago_Pago' });
    expect(nextOccurrence(rule, at('2028-01-01T00:00:00Z'))).toEqual(
      occurrence('2028-12-31', '2028-12-31T20:00:00Z'),
    );
  });

  it('given a 31 Dec birthday in Pacific/Kiritimati, which skipped 1994-12-31, when now is already 1995 locally, then the shifted 1994 occurrence is next', () => {
    const rule = birthdayRule({ birthday: '1990-12-31', timezone: 'Pacific/Kiritimati' });
    // 1994-12-31T18:00Z is 1995-01-01 08:00 local; the 1994 occurrence moved to 1995-01-01 09:00.
    expect(nextOccurrence(rule, at('1994-12-31T18:00:00Z'))).toEqual(
      occurrence('1994-12-31', '1994-12-31T19:00:00Z'),
    );
  });

  it('given a 30 Dec birthday in Pacific/Apia, which skipped 2011-12-30, when now is 31 Dec 08:00 local, then the shifted occurrence is next', () => {
    const rule = birthdayRule({ birthday: '1990-12-30', timezone: 'Pacific/Apia' });
    expect(nextOccurrence(rule, at('2011-12-30T18:00:00Z'))).toEqual(
      occurrence('2011-12-30', '2011-12-30T19:00:00Z'),
    );
  });

  it('given a user born this year, when scheduled before the birthday, then the first occurrence is next year', () => {
    const rule = birthdayRule({ birthday: '2027-05-01', timezone: 'UTC' });
    expect(nextOccurrence(rule, at('2027-04-01T00:00:00Z')).localDate).toBe('2028-05-01');
    expect(nextOccurrence(rule, at('2027-05-02T00:00:00Z')).localDate).toBe('2028-05-01');
  });

  it('given a 29 Feb birthday, when scheduled in a common year and in a leap year, then 28 Feb and 29 Feb are next', () => {
    const rule = birthdayRule({ birthday: '1992-02-29', timezone: 'Asia/Kolkata' });
    expect(nextOccurrence(rule, at('2027-01-01T00:00:00Z'))).toEqual(
      occurrence('2027-02-28', '2027-02-28T03:30:00Z'),
    );
    expect(nextOccurrence(rule, at('2027-02-28T03:30:00Z'))).toEqual(
      occurrence('2028-02-29', '2028-02-29T03:30:00Z'),
    );
  });
});

describe('occurrenceAfter', () => {
  it('given a handled 28 Feb occurrence of a 29 Feb birthday, when advanced, then the next is 29 Feb of the leap year', () => {
    const rule = birthdayRule({ birthday: '1992-02-29', timezone: 'UTC' });
    expect(occurrenceAfter(rule, '2027-02-28')).toEqual(occurrence('2028-02-29', '2028-02-29T09:00:00Z'));
  });

  it('given a handled 1 Mar occurrence (mar1 policy), when advanced, then the next is the following year', () => {
    const rule: AnnualRule = {
      ...birthdayRule({ birthday: '1992-02-29', timezone: 'UTC' }),
      leapDay: 'mar1',
    };
    expect(occurrenceAfter(rule, '2029-03-01')).toEqual(occurrence('2030-03-01', '2030-03-01T09:00:00Z'));
  });

  it('given a date before the first year, when advanced, then the first year is next', () => {
    const rule = birthdayRule({ birthday: '2027-05-01', timezone: 'UTC' });
    expect(occurrenceAfter(rule, '2020-05-01').localDate).toBe('2028-05-01');
  });
});

describe('slots of the year-less due index (ADR 0009)', () => {
  it('given one local date and time in two years without a shift, then both fall on one slot', () => {
    expect(slotOf(at('2027-06-15T09:00:00Z'))).toEqual({ monthOfYear: 6, slotAt: (14 * 24 + 9) * 3_600_000 });
    expect(sameSlot(at('2027-06-15T09:00:00Z'), at('2031-06-15T09:00:00Z'))).toBe(true);
  });

  it('given a DST rule that moves the UTC instant, or 29 February, then the slots differ', () => {
    const rule = birthdayRule({ birthday: '1990-03-10', timezone: 'America/New_York' });
    expect(sameSlot(occurrenceInYear(rule, 2026).dueAt, occurrenceInYear(rule, 2027).dueAt)).toBe(false);
    expect(sameSlot(at('2028-02-29T09:00:00Z'), at('2029-02-28T09:00:00Z'))).toBe(false);
  });

  it('given an anchor and an instant of its slot whole years on, then yearAtSlot names the local year', () => {
    const anchor = occurrence('2026-06-15', '2026-06-15T09:00:00Z');
    expect(yearAtSlot(anchor, at('2026-06-15T09:00:00Z'))).toBe(2026);
    expect(yearAtSlot(anchor, at('2029-06-15T09:00:00Z'))).toBe(2029);
    // 31 years on: leap days add up to a week, far from half a year.
    expect(yearAtSlot(anchor, at('2057-06-15T09:00:00Z'))).toBe(2057);
  });

  it('given a local date whose instant is in the previous UTC year (east of UTC on 1 January), then the local year is still right', () => {
    const anchor = occurrence('2027-01-01', '2026-12-31T19:00:00Z'); // 09:00 in Pacific/Kiritimati
    expect(yearAtSlot(anchor, at('2027-12-31T19:00:00Z'))).toBe(2028);
  });

  it('given an instant of the slot before the anchor’s year (scheduled after this year’s had passed), then undefined', () => {
    const anchor = occurrence('2028-06-15', '2028-06-15T09:00:00Z');
    expect(yearAtSlot(anchor, at('2027-06-15T09:00:00Z'))).toBeUndefined();
  });
});
