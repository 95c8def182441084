import { createHash } from 'node:crypto';

/**
 * The id a row without one is created under: a UUID (version 8, RFC 9562: custom) derived from
 * the file's SHA-256 and the row number. The same file imported again creates the same ids, so
 * the API answers 409 for rows already there: no duplicates, however much later and with
 * whichever key (the Idempotency-Key alone covers 24 h and one API key). Derived from the file,
 * not from the person: an id must not be a hash of a name and a birthday, which anyone who knows
 * them could recompute (and an erased user's id stays in the audit log).
 */
export function derivedUserId(contentHash: string, row: number): string {
  const hex = createHash('sha256').update(`occasions-import:v1:${contentHash}:${row}`).digest('hex');
  const version = `8${hex.slice(13, 16)}`;
  const variant = `${((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}
