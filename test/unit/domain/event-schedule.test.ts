import { describe, expect, it } from 'vitest';
import { builtInEventType, effectiveSendAt, webhookTargetOf } from '#domain/event-type';
import { occurrenceId } from '#domain/occurrence-id';
import { eventRule, nextScheduled, scheduledAfter, scheduledInYear } from '#domain/schedule';
import { fingerprintOf, type StoredUser } from '#domain/user';
import {
  birthdayTarget,
  occurrenceIdOf,
  ruleOf,
  suppressionOf,
  targetFingerprint,
  templateValuesOf,
} from '#domain/user-event';

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();
const at = (text: string): number => Date.parse(text);

const user = (changes: Partial<StoredUser> = {}): StoredUser => ({
  id: '0190a5e2-0000-7000-8000-000000000001',
  firstName: 'Ada',
  lastName: 'Lovelace',
  birthday: '1990-06-15',
  timezone: 'Europe/London',
  createdAt: '2027-01-01T00:00:00.000Z',
  updatedAt: '2027-01-01T00:00:00.000Z',
  version: 1,
  schedule: null,
  ...changes,
});

const anniversary = builtInEventType('anniversary');
const reminder = builtInEventType('reminder');

describe('anniversaries (yearly)', () => {
  it('given a wedding date, then the first notification is on its first anniversary, not the day itself', () => {
    const rule = ruleOf({ date: '2026-05-20' }, user(), anniversary);
    expect(nextScheduled(rule, at('2026-01-01T00:00:00Z'))).toEqual({
      localDate: '2027-05-20',
      dueAt: at('2027-05-20T08:00:00Z'), // 09:00 BST
    });
  });

  it.each([
    ['feb28', '2027-02-28'],
    ['mar1', '2027-03-01'],
  ] as const)(
    'given 29 February and leap policy %s, then a common year holds it on %s',
    (leapDay, expected) => {
      const rule = ruleOf({ date: '2000-02-29' }, user({ timezone: 'UTC' }), { ...anniversary, leapDay });
      expect(nextScheduled(rule, at('2027-01-01T00:00:00Z'))?.localDate).toBe(expected);
      expect(scheduledInYear(rule, 2028)?.localDate).toBe('2028-02-29');
      expect(scheduledAfter(rule, expected)?.localDate).toBe('2028-02-29');
    },
  );

  it('given the day passed its send time, then the next one is a year later', () => {
    const rule = ruleOf({ date: '2010-03-10' }, user({ timezone: 'UTC' }), anniversary);
    expect(nextScheduled(rule, at('2027-03-10T09:00:00Z'))?.localDate).toBe('2028-03-10');
    expect(nextScheduled(rule, at('2027-03-10T08:59:59Z'))?.localDate).toBe('2027-03-10');
  });
});

describe('reminders (once)', () => {
  const rule = ruleOf({ date: '2027-04-02' }, user({ timezone: 'Asia/Tokyo' }), reminder);

  it('given a future date, then it is due once, on the date at the send time', () => {
    expect(nextScheduled(rule, at('2027-01-01T00:00:00Z'))).toEqual({
      localDate: '2027-04-02',
      dueAt: at('2027-04-02T00:00:00Z'), // 09:00 JST
    });
  });

  it('given it was handled, then there is no next one', () => {
    expect(scheduledAfter(rule, '2027-04-02')).toBeNull();
    expect(scheduledInYear(rule, 2028)).toBeNull();
  });

  it('given its send time has passed, then nothing is scheduled', () => {
    expect(nextScheduled(rule, at('2027-04-02T00:00:00Z'))).toBeNull();
  });

  it('given a leap-day reminder, then it is on 29 February itself', () => {
    const leap = eventRule({
      date: '2028-02-29',
      timeZone: 'UTC',
      sendAt: '09:00',
      leapDay: 'mar1',
      recurrence: 'once',
    });
    expect(scheduledInYear(leap, 2028)?.localDate).toBe('2028-02-29');
  });
});

describe('custom send times across zones', () => {
  it.each([
    ['Asia/Kolkata', '18:30', '2027-07-01', '2027-07-01T13:00:00.000Z'],
    ['Australia/Adelaide', '07:15', '2027-01-10', '2027-01-09T20:45:00.000Z'], // +10:30 in summer
    ['America/Los_Angeles', '23:59', '2027-12-31', '2028-01-01T07:59:00.000Z'],
    // DST gap (02:00 → 03:00 on 14 March 2027): moved forward by the gap.
    ['America/New_York', '02:30', '2027-03-14', '2027-03-14T07:30:00.000Z'],
    // DST overlap (02:00 → 01:00 on 7 November 2027): the earlier instant (EDT).
    ['America/New_York', '01:30', '2027-11-07', '2027-11-07T05:30:00.000Z'],
    // Europe's gap on 28 March 2027 (01:00 UTC).
    ['Europe/Berlin', '02:15', '2027-03-28', '2027-03-28T01:15:00.000Z'],
  ])('given %s at %s, then the reminder on %s is due at %s', (timezone, sendAt, date, expected) => {
    const rule = ruleOf({ date }, user({ timezone }), { ...reminder, sendAt });
    expect(iso(nextScheduled(rule, at('2027-01-01T00:00:00Z'))?.dueAt)).toBe(expected);
  });

  it("given the user's own send time, then it wins over the type's", () => {
    const withPreference = user({ timezone: 'UTC', preferences: { optOut: [], sendAt: '07:45' } });
    expect(effectiveSendAt(anniversary, '07:45')).toBe('07:45');
    const rule = ruleOf({ date: '2020-08-01' }, withPreference, { ...anniversary, sendAt: '18:00' });
    expect(iso(nextScheduled(rule, at('2027-01-01T00:00:00Z'))?.dueAt)).toBe('2027-08-01T07:45:00.000Z');
  });
});

describe('identities and fingerprints', () => {
  it('given a birthday at the default time, then its occurrence id and fingerprint are the ones it always had', () => {
    const ada = user();
    const birthday = builtInEventType('birthday');
    expect(occurrenceIdOf(birthdayTarget(ada), '2027-06-15')).toBe(
      occurrenceId(ada.id, 'birthday', '2027-06-15'),
    );
    expect(targetFingerprint(birthdayTarget(ada), ada, birthday)).toBe('1990-06-15|Europe/London');
  });

  it('given two events of one user on one date, then their occurrence ids differ', () => {
    const first = occurrenceIdOf({ userId: 'u', eventId: 'e1' }, '2027-05-20');
    const second = occurrenceIdOf({ userId: 'u', eventId: 'e2' }, '2027-05-20');
    expect(first).not.toBe(second);
  });

  it('given a changed send time or leap policy, then the fingerprint changes', () => {
    const base = { date: '2000-02-29', timezone: 'UTC', sendAt: '09:00', leapDay: 'feb28' };
    expect(fingerprintOf({ ...base, sendAt: '10:00' })).not.toBe(fingerprintOf(base));
    expect(fingerprintOf({ ...base, leapDay: 'mar1' })).not.toBe(fingerprintOf(base));
  });
});

describe('suppression, template values and webhook targets', () => {
  it('given an opt-out or a disabled type, then nothing is sent and the reason says why', () => {
    expect(suppressionOf(user({ preferences: { optOut: ['anniversary'] } }), anniversary)).toMatch(
      /opted out/,
    );
    expect(suppressionOf(user(), { ...anniversary, enabled: false })).toMatch(/disabled/);
    expect(suppressionOf(user(), anniversary)).toBeUndefined();
  });

  it('given an anniversary, then years counts from its date', () => {
    expect(templateValuesOf(user(), { date: '2017-05-20' }, '2027-05-20')).toEqual({
      firstName: 'Ada',
      lastName: 'Lovelace',
      fullName: 'Ada Lovelace',
      date: '2027-05-20',
      years: 10,
    });
  });

  it('given a type with its own webhook, then it goes there with its own secret', () => {
    const fallback = { url: 'https://global.example/hook', secret: 'whsec_global' };
    expect(
      webhookTargetOf({ webhookUrl: 'https://own.example', webhookSecret: 'whsec_own' }, fallback),
    ).toEqual({
      url: 'https://own.example',
      secret: 'whsec_own',
    });
    expect(webhookTargetOf({}, fallback)).toEqual(fallback);
  });
});
