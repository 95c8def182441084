/**
 * The deterministic id of one occurrence of one event of one user. Every writer (scheduler runs,
 * retries, replays) derives the same id for the same occurrence, so conditional writes on it make
 * "at most one notification per user, event and local date" hold by construction; it is also the
 * stable `webhook-id` receivers deduplicate on.
 *
 * @example
 * occurrenceId('usr_123', 'birthday', '2027-06-15'); // 'occ_' + 32 hex chars, always the same
 */
import { createHash } from 'node:crypto';

/** NUL never appears in ids, event keys or dates, so joined parts cannot be confused. */
const SEPARATOR = '\u0000';
/** In unicode mode this matches only unpaired surrogates, which UTF-8 encodes all alike (U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function occurrenceId(userId: string, eventKey: string, localDate: string): string {
  const parts = [userId, eventKey, localDate];
  // Both would make two different inputs hash the same bytes; reject rather than collide.
  if (parts.some((part) => part.includes(SEPARATOR) || LONE_SURROGATE.test(part))) {
    throw new RangeError('Occurrence id parts must be well-formed text without NUL characters');
  }
  const digest = createHash('sha256').update(parts.join(SEPARATOR), 'utf8').digest('hex');
  // 128 bits: collisions are out of reach at any volume this service will see.
  return `occ_${digest.slice(0, 32)}`;
}
