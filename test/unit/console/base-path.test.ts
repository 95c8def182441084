import { describe, expect, it } from 'vitest';
import { basePathOf } from '../../../console/src/api/base-path';

describe('basePathOf (where the console finds the API)', () => {
  it.each([
    ['/console', ''],
    ['/console/', ''],
    ['/prod/console', '/prod'],
    ['/prod/console/', '/prod'],
    ['/api/v2/console//', '/api/v2'],
    ['/console/console', '/console'],
  ])('given the page at %s, then the API is under "%s"', (pathname, base) => {
    expect(basePathOf(pathname)).toBe(base);
  });
});
