import { describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { UUID_PATTERN, createIdGenerator } from '#domain/ids';

describe('createIdGenerator', () => {
  it('given a clock, then ids are RFC 9562 version 7 with the clock in their first 48 bits', () => {
    const id = createIdGenerator(new ManualClock(Date.parse('2025-06-10T02:00:00Z')))();
    expect(id).toMatch(UUID_PATTERN);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.parse('2025-06-10T02:00:00Z'));
  });

  it('given a clock that stands still or goes back, then ids still strictly increase', () => {
    const clock = new ManualClock(1_000_000);
    const newId = createIdGenerator(clock);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      if (i === 500) clock.set(999_000);
      if (i === 700) clock.set(2_000_000);
      ids.push(newId());
    }
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('given the largest seed, when two ids share a ms, then the second is still greater', () => {
    const newId = createIdGenerator(new ManualClock(5), (bytes) => new Uint8Array(bytes).fill(0xff));
    const first = newId();
    const second = newId();
    expect(second > first).toBe(true);
  });
});
