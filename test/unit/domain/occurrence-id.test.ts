import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { occurrenceId } from '#domain/occurrence-id';

describe('occurrenceId', () => {
  it('given the same user, event and date, when derived twice, then the id is the same and well-formed', () => {
    const id = occurrenceId('usr_123', 'birthday', '2027-06-15');
    expect(id).toBe(occurrenceId('usr_123', 'birthday', '2027-06-15'));
    expect(id).toMatch(/^occ_[0-9a-f]{32}$/);
  });

  it('given a known input, when derived, then the id is pinned (stored ids must never change)', () => {
    // sha256("usr_123\0birthday\02027-06-15"), first 32 hex chars.
    expect(occurrenceId('usr_123', 'birthday', '2027-06-15')).toBe('occ_cf782b984d4721c3ed5481b3d2eb0fac');
  });

  it('given parts that concatenate alike, when derived, then the ids differ', () => {
    expect(occurrenceId('ab', 'c', '2027-01-01')).not.toBe(occurrenceId('a', 'bc', '2027-01-01'));
    expect(occurrenceId('a', 'b', '2027-01-01')).not.toBe(occurrenceId('a', 'b2027', '-01-01'));
  });

  it('given any two different triples, when derived, then the ids differ', () => {
    // A tiny alphabet makes triples that concatenate to the same text common.
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 4 });
    const triple = fc.tuple(part, part, part);
    fc.assert(
      fc.property(triple, triple, (left, right) => {
        fc.pre(left.some((part, i) => part !== right[i]));
        expect(occurrenceId(...left)).not.toBe(occurrenceId(...right));
      }),
      { numRuns: 500 },
    );
  });

  it('given a part with a NUL or an unpaired surrogate, when derived, then it throws instead of risking a collision', () => {
    expect(() => occurrenceId('a\u0000b', 'birthday', '2027-01-01')).toThrow(RangeError);
    expect(() => occurrenceId('usr_\uD800', 'birthday', '2027-01-01')).toThrow(RangeError);
    expect(occurrenceId('usr_😀', 'birthday', '2027-01-01')).toMatch(/^occ_[0-9a-f]{32}$/);
  });
});
