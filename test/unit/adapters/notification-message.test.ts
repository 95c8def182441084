import { describe, expect, it } from 'vitest';
import { messageBody, parseNotificationMessage } from '#adapters/sqs/sqs-notification-queue';
import { logKeysOf } from '#ports/notification-queue';

const PLAN = {
  eventKey: 'birthday',
  localDate: '2027-04-02',
  timezone: 'Europe/Paris',
  scheduledFor: Date.parse('2027-04-02T07:00:00Z'),
  fingerprint: '1990-04-02|Europe/Paris|09:00|feb28',
  plannedAt: Date.parse('2027-04-02T07:00:05Z'),
};
const POINTER = { occurrenceId: 'u1#birthday#2027-04-02', userId: 'u1', correlationId: 'req-1' };

/** How a worker from before plans read a body (the parser as it was): pointers only. */
function parsedBeforePlans(body: string): { occurrenceId: string; userId: string } | undefined {
  const { occurrenceId, userId } = JSON.parse(body) as Record<string, unknown>;
  return typeof occurrenceId === 'string' && typeof userId === 'string'
    ? { occurrenceId, userId }
    : undefined;
}

describe('the notifications queue message body', () => {
  it('given a pointer, then it is written and read as it always was', () => {
    expect(messageBody(POINTER)).toBe(JSON.stringify(POINTER));
    expect(parseNotificationMessage(messageBody(POINTER))).toEqual(POINTER);
  });

  it('given a plan (ADR 0010), then every field of it comes back, with or without an event id', () => {
    const withEvent = { ...POINTER, plan: { ...PLAN, eventKey: 'anniversary', eventId: 'e1' } };
    expect(parseNotificationMessage(messageBody({ ...POINTER, plan: PLAN }))).toEqual({
      ...POINTER,
      plan: PLAN,
    });
    expect(parseNotificationMessage(messageBody(withEvent))).toEqual(withEvent);
  });

  it('given a plan, then a worker from before plans finds no pointer in it (it keeps the message rather than drop it)', () => {
    expect(parsedBeforePlans(messageBody(POINTER))).toEqual({
      occurrenceId: POINTER.occurrenceId,
      userId: 'u1',
    });
    expect(parsedBeforePlans(messageBody({ ...POINTER, plan: PLAN }))).toBeUndefined();
  });

  it.each([
    ['a missing fingerprint', { ...PLAN, fingerprint: undefined }],
    ['a scheduledFor that is text', { ...PLAN, scheduledFor: '2027-04-02T07:00:00Z' }],
    ['a plannedAt that is not finite', { ...PLAN, plannedAt: null }],
    ['an eventId that is a number', { ...PLAN, eventId: 7 }],
    ['no occurrence id', { ...PLAN, occurrenceId: undefined }],
  ])('given a plan with %s, then the message is not ours (it must not create an occurrence)', (_, fields) => {
    expect(parseNotificationMessage(JSON.stringify({ planned: { ...POINTER, ...fields } }))).toBeUndefined();
  });

  it('given a plan that is not an object, then the message is not ours', () => {
    expect(parseNotificationMessage(JSON.stringify({ planned: 'plan' }))).toBeUndefined();
  });

  it('given a plan, then what a log line says of it is its ids and that it is a plan, never the plan (its fingerprint holds the birthday)', () => {
    const keys = logKeysOf({ ...POINTER, plan: PLAN });
    expect(keys).toEqual({ ...POINTER, planned: true });
    expect(JSON.stringify(keys)).not.toContain(PLAN.fingerprint);
    expect(logKeysOf(POINTER)).toEqual({ ...POINTER, planned: false });
  });
});
