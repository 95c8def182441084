import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidCalendarDate,
  isValidLocalTime,
  isValidTimeZone,
  localDateOf,
  zonedInstant,
} from '#domain/zoned-time';
import { dateAndTimeOf, MINUTE, referenceInstant, transitionsIn, wallMs, wallOf, ZONES } from './zone-oracle';

const at = (iso: string): number => new Date(iso).getTime();

describe('isValidTimeZone', () => {
  it.each([...ZONES, 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'Etc/GMT+5', 'GMT'])(
    'given the IANA name %s, when checked, then it is accepted',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(true);
    },
  );

  it.each([
    '',
    ' ',
    '+05:30',
    '-03:00',
    'GMT+5',
    'UTC+1',
    'Europe/Nowhere',
    'Europe/Berlin ',
    'Asia/Kolkata\n',
  ])('given %j, when checked, then it is rejected', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('isValidCalendarDate', () => {
  it.each(['2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31', '2023-04-30'])(
    'given the real date %s, when checked, then it is accepted',
    (date) => {
      expect(isValidCalendarDate(date)).toBe(true);
    },
  );

  it.each([
    '2023-02-29',
    '1900-02-29',
    '2024-13-01',
    '2024-00-10',
    '2024-04-31',
    '2024-01-00',
    '0000-01-01',
    '2024-1-01',
    '24-01-01',
    '2024-01-01T00:00',
    ' 2024-01-01',
    '+02024-01-01',
    '２０２４-01-01',
    '',
  ])('given %j, when checked, then it is rejected', (date) => {
    expect(isValidCalendarDate(date)).toBe(false);
  });

  it('given any day of 400 years, when formatted as YYYY-MM-DD, then it is valid exactly when it exists', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (year, month, day) => {
          const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          const probe = new Date(0);
          probe.setUTCFullYear(year, month - 1, day);
          expect(isValidCalendarDate(date)).toBe(probe.getUTCDate() === day);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('isValidLocalTime', () => {
  it('given HH:MM times, when checked, then only 00:00..23:59 are accepted', () => {
    expect(['00:00', '09:00', '23:59'].map(isValidLocalTime)).toEqual([true, true, true]);
    expect(['24:00', '9:00', '09:60', '09:00:00', ''].map(isValidLocalTime)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('localDateOf', () => {
  it('given an instant just before midnight UTC, when read in Pacific/Kiritimati (+14), then it is already the next day', () => {
    expect(localDateOf(at('2026-12-31T19:00:00Z'), 'Pacific/Kiritimati')).toBe('2027-01-01');
  });

  it('given the same instant, when read in Pacific/Pago_Pago (-11), then it is still the day before', () => {
    expect(localDateOf(at('2027-01-01T10:59:59Z'), 'Pacific/Pago_Pago')).toBe('2026-12-31');
  });

  it('given an unknown zone, when read, then it throws a RangeError', () => {
    expect(() => localDateOf(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('zonedInstant', () => {
  it.each([
    // [description, date, time, zone, expected instant]
    ['a DST gap moves forward by the gap', '2027-03-14', '02:30', 'America/New_York', '2027-03-14T07:30:00Z'],
    [
      'a DST overlap takes the earlier (EDT) instant',
      '2027-11-07',
      '01:30',
      'America/New_York',
      '2027-11-07T05:30:00Z',
    ],
    ['a gap at midnight moves to 01:30', '2018-11-04', '00:30', 'America/Sao_Paulo', '2018-11-04T03:30:00Z'],
    [
      'a 30-minute DST gap moves forward 30 minutes',
      '2027-10-03',
      '02:15',
      'Australia/Lord_Howe',
      '2027-10-02T15:45:00Z',
    ],
    [
      'a 30-minute DST overlap takes the earlier instant',
      '2027-04-04',
      '01:45',
      'Australia/Lord_Howe',
      '2027-04-03T14:45:00Z',
    ],
    ['a summer time gap in Europe/Dublin', '2027-03-28', '01:30', 'Europe/Dublin', '2027-03-28T01:30:00Z'],
    [
      'an overlap in Europe/Dublin takes the IST instant',
      '2027-10-31',
      '01:30',
      'Europe/Dublin',
      '2027-10-31T00:30:00Z',
    ],
    ['Asia/Kolkata is +05:30', '2027-06-15', '09:00', 'Asia/Kolkata', '2027-06-15T03:30:00Z'],
    ['Asia/Kathmandu is +05:45', '2027-06-15', '09:00', 'Asia/Kathmandu', '2027-06-15T03:15:00Z'],
    [
      'Pacific/Chatham is +13:45 in (southern) summer',
      '2027-01-01',
      '09:00',
      'Pacific/Chatham',
      '2026-12-31T19:15:00Z',
    ],
    ['Pacific/Kiritimati is +14', '2027-01-01', '09:00', 'Pacific/Kiritimati', '2026-12-31T19:00:00Z'],
    ['Pacific/Pago_Pago is -11', '2027-12-31', '09:00', 'Pacific/Pago_Pago', '2027-12-31T20:00:00Z'],
    [
      'America/St_Johns is -02:30 in summer',
      '2027-07-01',
      '09:00',
      'America/St_Johns',
      '2027-07-01T11:30:00Z',
    ],
    ['Asia/Tehran is +03:30', '2027-07-01', '09:00', 'Asia/Tehran', '2027-07-01T05:30:00Z'],
    [
      'Asia/Kolkata used Madras time (+05:21:10) in 1900',
      '1900-06-15',
      '09:00',
      'Asia/Kolkata',
      '1900-06-15T03:38:50Z',
    ],
    [
      'Pacific/Apia skipped 2011-12-30: moved forward a day',
      '2011-12-30',
      '09:00',
      'Pacific/Apia',
      '2011-12-30T19:00:00Z',
    ],
    [
      'Pacific/Apia the day before the skip was -10',
      '2011-12-29',
      '09:00',
      'Pacific/Apia',
      '2011-12-29T19:00:00Z',
    ],
    [
      'Pacific/Kiritimati skipped 1994-12-31',
      '1994-12-31',
      '09:00',
      'Pacific/Kiritimati',
      '1994-12-31T19:00:00Z',
    ],
    [
      'year 1 is not read as 1901 (no two-digit-year trap)',
      '0001-01-01',
      '09:00',
      'UTC',
      '0001-01-01T09:00:00Z',
    ],
    ['the last day of year 9999 works', '9999-12-31', '09:00', 'Pacific/Pago_Pago', '9999-12-31T20:00:00Z'],
  ])('given %s, when converted, then the instant is exact', (_description, date, time, zone, expected) => {
    expect(new Date(zonedInstant(date, time, zone)).toISOString()).toBe(new Date(expected).toISOString());
  });

  it.each([
    ['2023-02-29', '09:00', 'UTC'],
    ['2027-01-01', '24:00', 'UTC'],
    ['2027-01-01', '9:00', 'UTC'],
    ['2027-01-01', '09:00', '+05:30'],
  ])('given %s %s in %s, when converted, then it throws a RangeError', (date, time, zone) => {
    expect(() => zonedInstant(date, time, zone)).toThrow(RangeError);
  });

  const zone = fc.constantFrom(...ZONES);

  it('given any minute of 1800..2300 in any zone, when converted, then it matches the reference', () => {
    const wall = fc
      .integer({ min: Date.UTC(1800, 0, 1) / MINUTE, max: Date.UTC(2300, 0, 1) / MINUTE })
      .map((minutes) => minutes * MINUTE);
    fc.assert(
      fc.property(zone, wall, (timeZone, localMs) => {
        const { localDate, localTime } = dateAndTimeOf(localMs);
        expect(zonedInstant(localDate, localTime, timeZone)).toBe(
          referenceInstant(localMs, timeZone).instant,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('given a wall time near a transition, when converted, then gaps move forward and overlaps take the earlier instant', () => {
    const nearTransition = fc.record({
      timeZone: zone,
      year: fc.integer({ min: 1850, max: 2300 }),
      pick: fc.nat(),
      oldClock: fc.boolean(),
      deltaMinutes: fc.integer({ min: -90, max: 90 }),
    });
    fc.assert(
      fc.property(nearTransition, ({ timeZone, year, pick, oldClock, deltaMinutes }) => {
        const transitions = transitionsIn(year, timeZone);
        fc.pre(transitions.length > 0);
        const transition = transitions[pick % transitions.length]!;
        const offset = oldClock ? transition.offsetBefore : transition.offsetAfter;
        const wallAtTransition = Math.floor((transition.at + offset) / MINUTE) * MINUTE;
        const localMs = wallAtTransition + deltaMinutes * MINUTE;
        const { localDate, localTime } = dateAndTimeOf(localMs);
        expect(zonedInstant(localDate, localTime, timeZone)).toBe(
          referenceInstant(localMs, timeZone).instant,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('given any instant, when its local date and minute are converted back, then the result is the earliest instant with that wall time', () => {
    const instant = fc
      .integer({ min: Date.UTC(1970, 0, 1) / MINUTE, max: Date.UTC(2300, 0, 1) / MINUTE })
      .map((minutes) => minutes * MINUTE);
    fc.assert(
      fc.property(zone, instant, (timeZone, t) => {
        const local = wallMs(t, timeZone);
        const { localDate, localTime } = dateAndTimeOf(local);
        const back = zonedInstant(localDate, localTime, timeZone);
        expect(localDateOf(t, timeZone)).toBe(localDate);
        expect(wallMs(back, timeZone)).toBe(local);
        expect(back).toBeLessThanOrEqual(t);
      }),
      { numRuns: 500 },
    );
  });
});

describe('wallOf (test reference)', () => {
  it('given a date and time, when encoded, then it is the UTC reading of that wall time', () => {
    expect(wallOf('2027-03-14', '02:30')).toBe(Date.UTC(2027, 2, 14, 2, 30));
  });
});
