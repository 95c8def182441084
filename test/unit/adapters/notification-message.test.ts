import { describe, expect, it } from 'vitest';
import { parseNotificationMessage } from '#adapters/sqs/sqs-notification-queue';

const PLAN = {
  eventKey: 'birthday',
  localDate: '2027-04-02',
  timezone: 'Europe/Paris',
  scheduledFor: Date.parse('2027-04-02T07:00:00Z'),
  fingerprint: '1990-04-02|Europe/Paris|09:00|feb28',
  plannedAt: Date.parse('2027-04-02T07:00:05Z'),
};
const POINTER = { occurrenceId: 'u1#birthday#2027-04-02', userId: 'u1', correlationId: 'req-1' };

describe('the notifications queue message body', () => {
  it('given a pointer, then it is read as it was written', () => {
    expect(parseNotificationMessage(JSON.stringify(POINTER))).toEqual(POINTER);
  });

  it('given a plan (ADR 0010), then every field of it is kept, with or without an event id', () => {
    const withEvent = { ...POINTER, plan: { ...PLAN, eventKey: 'anniversary', eventId: 'e1' } };
    expect(parseNotificationMessage(JSON.stringify({ ...POINTER, plan: PLAN }))).toEqual({
      ...POINTER,
      plan: PLAN,
    });
    expect(parseNotificationMessage(JSON.stringify(withEvent))).toEqual(withEvent);
  });

  it.each([
    ['a missing fingerprint', { ...PLAN, fingerprint: undefined }],
    ['a scheduledFor that is text', { ...PLAN, scheduledFor: '2027-04-02T07:00:00Z' }],
    ['a plannedAt that is not finite', { ...PLAN, plannedAt: null }],
    ['an eventId that is a number', { ...PLAN, eventId: 7 }],
    ['a plan that is not an object', 'plan'],
  ])('given a plan with %s, then the message is not ours (it must not create an occurrence)', (_, plan) => {
    expect(parseNotificationMessage(JSON.stringify({ ...POINTER, plan }))).toBeUndefined();
  });
});
