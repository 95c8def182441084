import type { NewOccurrence } from '#domain/occurrence';

/** 15 June 2027, 09:00 UTC: the birthday the domain tests schedule. */
export const JUNE_15_0900_UTC = Date.parse('2027-06-15T09:00:00Z');

/** A birthday occurrence of 15 June 2027 at 09:00 UTC, as a pass would build it; `changes` on top. */
export const birthdayInput = (changes: Partial<NewOccurrence> = {}): NewOccurrence => ({
  occurrenceId: `occ_${'a'.repeat(32)}`,
  userId: 'u',
  eventKey: 'birthday',
  localDate: '2027-06-15',
  timezone: 'UTC',
  scheduledFor: JUNE_15_0900_UTC,
  fingerprint: '1990-06-15|UTC',
  ...changes,
});
