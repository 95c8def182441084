import { describe, expect, it } from 'vitest';
import {
  ListUsersQuerySchema,
  UserPatchSchema,
  UserProfileSchema,
  toUserJson,
} from '#api/schemas/user.schema';

const valid = { firstName: 'Ada', lastName: 'Lovelace', birthday: '1990-12-10', timezone: 'Europe/London' };

const pathsOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] =>
  result.error?.issues.map((issue) => issue.path.join('.')) ?? [];

describe('UserProfileSchema', () => {
  it('given names with surrounding spaces, when parsed, then they are trimmed', () => {
    expect(UserProfileSchema.parse({ ...valid, firstName: ' Ada ', lastName: '\tLovelace\n' })).toEqual(
      valid,
    );
  });

  it.each(['2024-02-29', '2000-02-29', '1900-01-01'])(
    'given the real date %s, then it is accepted',
    (birthday) => {
      expect(UserProfileSchema.safeParse({ ...valid, birthday }).success).toBe(true);
    },
  );

  it.each(['2023-02-29', '1900-02-29', '1990-13-01', '1990-04-31', '1990-1-1', '19900101', '1899-12-31', ''])(
    'given the birthday %j, then it is rejected naming birthday',
    (birthday) => {
      const result = UserProfileSchema.safeParse({ ...valid, birthday });
      expect(pathsOf(result)).toEqual(['birthday']);
      expect(result.error?.issues[0]?.message).toContain('birthday');
    },
  );

  it.each(['Mars/Base', '+05:30', '', 'Europe/Nowhere', 'x'.repeat(65)])(
    'given the time zone %j, then it is rejected naming timezone',
    (timezone) => {
      const result = UserProfileSchema.safeParse({ ...valid, timezone });
      expect(pathsOf(result)).toEqual(['timezone']);
      expect(result.error?.issues[0]?.message).toContain('timezone');
    },
  );

  it('given a read-only field, then it is rejected as unknown', () => {
    const result = UserProfileSchema.safeParse({ ...valid, version: 3 });
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['version'] });
  });

  it('given every field missing, then each is named as required', () => {
    const result = UserProfileSchema.safeParse({});
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'firstName is required',
      'lastName is required',
      'birthday is required',
      'timezone is required',
    ]);
  });
});

describe('UserPatchSchema', () => {
  it('given one field, then only that field is returned', () => {
    expect(UserPatchSchema.parse({ timezone: 'Asia/Tokyo' })).toEqual({ timezone: 'Asia/Tokyo' });
  });

  it('given an empty object, then it is rejected', () => {
    expect(UserPatchSchema.safeParse({}).success).toBe(false);
  });

  it('given null for a field, then it is rejected (null does not delete a field)', () => {
    expect(pathsOf(UserPatchSchema.safeParse({ firstName: null }))).toEqual(['firstName']);
  });
});

describe('ListUsersQuerySchema', () => {
  it('given no parameters, then limit is 20 and there is no cursor', () => {
    expect(ListUsersQuerySchema.parse({})).toEqual({ limit: 20 });
  });

  it.each([
    ['1', 1],
    ['100', 100],
    ['020', 20],
  ])('given limit=%s, then %i', (limit, expected) => {
    expect(ListUsersQuerySchema.parse({ limit }).limit).toBe(expected);
  });

  it.each(['0', '101', '-1', '1e2', ' 5', '5.0', '1000'])('given limit=%j, then it is rejected', (limit) => {
    expect(pathsOf(ListUsersQuerySchema.safeParse({ limit }))).toEqual(['limit']);
  });

  it('given a cursor over 2048 characters, then it is rejected', () => {
    expect(pathsOf(ListUsersQuerySchema.safeParse({ cursor: 'a'.repeat(2049) }))).toEqual(['cursor']);
  });
});

describe('toUserJson', () => {
  it('given a user without a schedule, then the notification fields are null and internals absent', () => {
    const json = toUserJson({
      ...valid,
      id: '01900000-0000-7000-8000-000000000000',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      version: 1,
      schedule: null,
      lastRequestId: 'req',
    });
    expect(json).toMatchObject({ nextNotificationAt: null, nextNotificationLocalDate: null });
    expect(json).not.toHaveProperty('lastRequestId');
    expect(json).not.toHaveProperty('schedule');
  });
});

describe('names that are not plain text', () => {
  it.each([
    ['a lone high surrogate', 'Jo\ud800hn'],
    ['a lone low surrogate', '\udc00John'],
    ['a newline', 'Jo\nhn'],
    ['a NUL', 'John\u0000'],
  ])('given %s in firstName, then the body is rejected naming firstName', (_label, firstName) => {
    const result = UserProfileSchema.safeParse({
      firstName,
      lastName: 'Doe',
      birthday: '1990-01-01',
      timezone: 'UTC',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['firstName']);
  });

  it('given an emoji (a proper surrogate pair), then the name is accepted', () => {
    expect(
      UserProfileSchema.safeParse({
        firstName: 'Jo 🎉',
        lastName: 'Doe',
        birthday: '1990-01-01',
        timezone: 'UTC',
      }).success,
    ).toBe(true);
  });
});
