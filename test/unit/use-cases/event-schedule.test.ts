import { describe, expect, it } from 'vitest';
import { birthdayRule, eventRule } from '#domain/schedule';
import { shownSchedule } from '#use-cases/event-schedule';

const at = (iso: string): number => Date.parse(iso);
const ada = { birthday: '1990-04-02', timezone: 'UTC' };

describe('shownSchedule: nextNotificationAt under an anchor the scheduler no longer rewrites', () => {
  const rule = { ...birthdayRule(ada), once: false };
  const handled = { localDate: '2027-04-02', dueAt: at('2027-04-02T09:00:00Z') };

  it('given an anchor still ahead, then it is shown as stored', () => {
    expect(shownSchedule(handled, rule, at('2027-03-01T00:00:00Z'))).toEqual(handled);
  });

  it('given an anchor a year old whose slot has not come round yet this year, then this year’s', () => {
    const lastYear = { localDate: '2026-04-02', dueAt: at('2026-04-02T09:00:00Z') };
    expect(shownSchedule(lastYear, rule, at('2027-03-01T00:00:00Z'))).toEqual(handled);
  });

  it('given today’s handled at 09:00, then next year’s', () => {
    expect(shownSchedule(handled, rule, at('2027-04-02T10:00:00Z'))).toEqual({
      localDate: '2028-04-02',
      dueAt: at('2028-04-02T09:00:00Z'),
    });
  });

  it('given today’s handled at 09:00 and the send time moved to 15:00 since, then not today at 15:00 (that date had its one) but next year’s', () => {
    const later = eventRule({
      date: '1990-04-02',
      timeZone: 'UTC',
      sendAt: '15:00',
      leapDay: 'feb28',
      recurrence: 'yearly',
    });
    expect(shownSchedule(handled, later, at('2027-04-02T10:00:00Z'))).toEqual({
      localDate: '2028-04-02',
      dueAt: at('2028-04-02T15:00:00Z'),
    });
  });

  it('given no rule (its type is gone), then the anchor as stored', () => {
    expect(shownSchedule(handled, undefined, at('2027-05-01T00:00:00Z'))).toEqual(handled);
  });
});
