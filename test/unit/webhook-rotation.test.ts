import { describe, expect, it } from 'vitest';
import { secretsInEffect, signWebhook, signWebhookWithEach } from '#adapters/webhook/signature';

const NOW = Date.parse('2027-03-14T09:00:00Z');
const CURRENT = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD = 'whsec_QmFzZTY0IGtleSBvZiB0aGUgb2xkIHNlY3JldA==';
const OLDER = 'whsec_b2xkZXIga2V5IGJ5dGVzIGZvciB0aGUgdGVzdA==';

describe('secretsInEffect', () => {
  it('given no previous secrets, when asked, then only the current one signs', () => {
    expect(secretsInEffect(CURRENT, undefined, NOW)).toEqual([CURRENT]);
    expect(secretsInEffect(CURRENT, [], NOW)).toEqual([CURRENT]);
  });

  it('given previous secrets with open and closed windows, when asked, then the current one first and only the open ones', () => {
    const previous = [
      { secret: OLD, expiresAt: NOW + 1 },
      { secret: OLDER, expiresAt: NOW },
    ];

    expect(secretsInEffect(CURRENT, previous, NOW)).toEqual([CURRENT, OLD]);
    expect(secretsInEffect(CURRENT, previous, NOW - 1)).toEqual([CURRENT, OLD, OLDER]);
    expect(secretsInEffect(CURRENT, previous, NOW + 1)).toEqual([CURRENT]);
  });

  it('given the current secret also listed as previous, when asked, then it signs once', () => {
    expect(secretsInEffect(CURRENT, [{ secret: CURRENT, expiresAt: NOW + 1 }], NOW)).toEqual([CURRENT]);
  });
});

describe('signWebhookWithEach', () => {
  it('given two secrets, when signed, then the header is both single signatures separated by a space', () => {
    const header = signWebhookWithEach([CURRENT, OLD], 'occ_1', 1_805_014_800, '{}');

    expect(header).toBe(
      `${signWebhook(CURRENT, 'occ_1', 1_805_014_800, '{}')} ${signWebhook(OLD, 'occ_1', 1_805_014_800, '{}')}`,
    );
  });
});
