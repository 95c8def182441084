import { describe, expect, it } from 'vitest';
import { isAuthorizedApiKey } from '#api/auth';

describe('isAuthorizedApiKey', () => {
  it.each([
    ['the expected key', 's3cret-key', 's3cret-key', true],
    ['another key', 's3cret-kez', 's3cret-key', false],
    ['a prefix', 's3cret', 's3cret-key', false],
    ['no key', undefined, 's3cret-key', false],
    ['an empty key against an empty expectation', '', '', false],
  ])('given %s, then %s', (_case, presented, expected, authorized) => {
    expect(isAuthorizedApiKey(presented, expected)).toBe(authorized);
  });
});
