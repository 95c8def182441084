import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares an API key in constant time. Both sides are hashed first so the comparison takes the
 * same time whatever the presented key's length (timingSafeEqual alone throws on, and so
 * reveals, a length mismatch). An empty expected key never matches: a misconfiguration must
 * lock the API, not open it.
 */
export function isAuthorizedApiKey(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || expected === '') return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
