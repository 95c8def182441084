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

export interface StoredUser extends User {
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
