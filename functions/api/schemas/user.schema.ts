import { z } from 'zod';
import { paginationShape } from './common.schema';
import { isoOf } from '#commons/clock';
import type { StoredUser } from '#domain/user';
import { isValidCalendarDate, isValidTimeZone } from '#domain/zoned-time';
import { MIN_BIRTH_YEAR } from '#use-cases/manage-users.use-case';

/*
 * The users resource as clients see it. Declarative on purpose: the same schemas validate
 * requests and generate the OpenAPI document, so every message names its field and every
 * object is strict (unknown fields, including the service's read-only ones, are rejected).
 */

const MAX_NAME_LENGTH = 100;

/** `"firstName is required"` for a missing field, `"firstName must be a string"` otherwise. */
const typeError =
  (field: string, expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `${field} is required` : `${field} must be ${expected}`;

/** Half of a UTF-16 surrogate pair without its other half: not text, and DynamoDB refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Control characters (newlines, NUL, …) have no place in a name; matching them is the point. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F]/;

const name = (field: string) =>
  z
    .string({ error: typeError(field, 'a string') })
    .trim()
    .min(1, { error: `${field} must not be empty` })
    .max(MAX_NAME_LENGTH, { error: `${field} must be at most ${MAX_NAME_LENGTH} characters` })
    .refine((value) => !LONE_SURROGATE.test(value) && !CONTROL_CHARACTER.test(value), {
      error: `${field} must be plain text (no control characters or broken Unicode)`,
    });

const birthday = z
  .string({ error: typeError('birthday', 'a string') })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'birthday must be a date in the form YYYY-MM-DD', abort: true })
  .refine(isValidCalendarDate, { error: 'birthday must be a real calendar date', abort: true })
  .refine((date) => Number(date.slice(0, 4)) >= MIN_BIRTH_YEAR, {
    error: `birthday must not be before ${MIN_BIRTH_YEAR}`,
  })
  .meta({
    description: `Date of birth, YYYY-MM-DD; a real date from ${MIN_BIRTH_YEAR}, not in the future in the user's time zone.`,
    examples: ['1990-03-14'],
  });

const timezone = z
  .string({ error: typeError('timezone', 'a string') })
  .max(64, { error: 'timezone must be an IANA time zone such as Europe/Paris', abort: true })
  .refine(isValidTimeZone, { error: 'timezone must be an IANA time zone such as Europe/Paris' })
  .meta({
    description: 'IANA time zone; the birthday message goes out at 09:00 there.',
    examples: ['Asia/Kolkata'],
  });

const profileShape = {
  firstName: name('firstName').meta({ examples: ['John'] }),
  lastName: name('lastName').meta({ examples: ['Doe'] }),
  birthday,
  timezone,
};

const OBJECT_MESSAGE = 'body must be a JSON object';

export const UserProfileSchema = z
  .object(profileShape, { error: OBJECT_MESSAGE })
  .strict()
  .meta({ description: 'What an admin says about a user: the body of POST and PUT /v1/users.' });

export const UserPatchSchema = z
  .object(profileShape, { error: OBJECT_MESSAGE })
  .partial()
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, {
    error: 'at least one of firstName, lastName, birthday, timezone is required',
  })
  .meta({ description: 'Any non-empty subset of the profile: the body of PATCH /v1/users/{id}.' });

export const ListUsersQuerySchema = z.object(paginationShape).strict();

const readOnly = (description: string) => ({ description, readOnly: true });

export const UserSchema = z
  .object({
    id: z.uuid().meta(readOnly('Assigned by the service; UUIDv7, so ids sort in creation order.')),
    ...profileShape,
    createdAt: z.iso.datetime().meta(readOnly('When the user was created (UTC).')),
    updatedAt: z.iso.datetime().meta(readOnly('When the profile last changed (UTC).')),
    version: z.int().min(1).meta(readOnly('Incremented on every change of the user or its schedule.')),
    nextNotificationAt: z.iso
      .datetime()
      .nullable()
      .meta(readOnly('When the next birthday message is due (UTC): 09:00 local on its date.')),
    nextNotificationLocalDate: z
      .string()
      .nullable()
      .meta(readOnly('The local date (YYYY-MM-DD) of the next birthday message.')),
    preferences: z
      .object({ optOut: z.array(z.string()), sendAt: z.string().nullable() })
      .strict()
      .optional()
      .meta(readOnly('Set through PUT /v1/users/{id}/preferences; absent until then.')),
  })
  .strict()
  .meta({ description: 'A user. Fields other than the profile are the service’s own and read-only.' });

export const UserListSchema = z
  .object({
    items: z.array(UserSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .strict();

export type UserJson = z.infer<typeof UserSchema>;
export type UserListJson = z.infer<typeof UserListSchema>;

export function toUserJson(user: StoredUser): UserJson {
  return {
    id: user.id,
    firstName: user.firstName,
    lastName: user.lastName,
    birthday: user.birthday,
    timezone: user.timezone,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version,
    nextNotificationAt: user.schedule ? isoOf(user.schedule.dueAt) : null,
    nextNotificationLocalDate: user.schedule?.localDate ?? null,
    ...(user.preferences
      ? { preferences: { optOut: user.preferences.optOut, sendAt: user.preferences.sendAt ?? null } }
      : {}),
  };
}
