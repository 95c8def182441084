/** What an admin says about a user (the body of POST/PUT /v1/users). */
export interface UserProfile {
  firstName: string;
  lastName: string;
  /** Calendar date of birth, `YYYY-MM-DD`. */
  birthday: string;
  /** IANA time zone, e.g. `Asia/Kolkata`. */
  timezone: string;
}

export interface User extends UserProfile {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every change; optimistic concurrency for writes. */
  version: number;
}

/** The next birthday occurrence the scheduler will hand to the queue. */
export interface UserSchedule {
  /** Local calendar date of the occurrence in the user's time zone, `YYYY-MM-DD`. */
  localDate: string;
  /** The instant (epoch ms) it is due: 09:00 local on `localDate`. */
  dueAt: number;
}

/** What a user asked for (PUT /v1/users/{id}/preferences); kept on the user item. */
export interface UserPreferences {
  /** Event type keys the user gets nothing for. */
  optOut: string[];
  /** Own local send time `HH:MM` for all their events, instead of each type's. */
  sendAt?: string;
}

export interface StoredUser extends User {
  /** Absent until set: no opt-outs, each type's send time. */
  preferences?: UserPreferences;
  /** `null` while nothing is scheduled (never the case for a valid birthday). */
  schedule: UserSchedule | null;
  /**
   * `x-request-id` of the API request that last changed the user: the scheduler copies it onto
   * the occurrence, so one id leads from the admin's request to the webhook.
   */
  lastRequestId?: string;
}

export const fullNameOf = (user: Pick<UserProfile, 'firstName' | 'lastName'>): string =>
  `${user.firstName} ${user.lastName}`.trim();

/**
 * What a scheduled birthday depends on. An occurrence remembers it; when the user's current
 * fingerprint differs at delivery time, the occurrence is stale and is cancelled.
 */
export const scheduleFingerprintOf = (user: Pick<UserProfile, 'birthday' | 'timezone'>): string =>
  `${user.birthday}|${user.timezone}`;

/** Send time and leap policy that a birthday fingerprint leaves out, for the ids of old data. */
const DEFAULT_TIMING = { sendAt: '09:00', leapDay: 'feb28' } as const;

/**
 * What any scheduled occurrence depends on: the event's date, the user's zone, the send time in
 * effect (the user's, else the type's) and the 29 February policy. The default timing is left
 * out, so a birthday at 09:00 / feb28 keeps the fingerprint it had before event types existed
 * (`birthday|zone`) and occurrences already stored stay current.
 */
export function fingerprintOf(input: {
  date: string;
  timezone: string;
  sendAt: string;
  leapDay: string;
}): string {
  const base = `${input.date}|${input.timezone}`;
  return input.sendAt === DEFAULT_TIMING.sendAt && input.leapDay === DEFAULT_TIMING.leapDay
    ? base
    : `${base}|${input.sendAt}|${input.leapDay}`;
}
