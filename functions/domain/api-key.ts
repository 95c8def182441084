import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '#api/router';

/**
 * API keys of the admin API. A key is shown once, when it is created, as
 * `occ_<32 hex key id>_<43 base64url secret>`; only the SHA-256 of the secret is stored. The
 * secret is 256 random bits, so a fast hash is enough: there is nothing to brute-force that a
 * slow hash (meant for low-entropy passwords) would protect.
 *
 * @example
 * const { key, secretHash } = generateApiKey('0190f0c2a1b27c3d8e9f0a1b2c3d4e5f');
 * parseApiKey(key); // { keyId: '0190f0c2…', secret: '…' }
 */
export const API_KEY_PATTERN = /^occ_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface ApiKey {
  keyId: string;
  /** What the admin called it ("on-call laptop"); never the secret. */
  name: string;
  role: Role;
  /** Hex SHA-256 of the secret part. */
  secretHash: string;
  createdAt: string;
  /** The key id that created it (`bootstrap` for ADMIN_API_KEY). */
  createdBy: string;
  revokedAt?: string;
  version: number;
}

export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex');

/** A new key for `keyId`: the full key (to show once) and the hash to store. */
export function generateApiKey(keyId: string): { key: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { key: `occ_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseApiKey(presented: string): { keyId: string; secret: string } | undefined {
  const match = API_KEY_PATTERN.exec(presented);
  if (!match?.[1] || !match[2]) return undefined;
  return { keyId: match[1], secret: match[2] };
}

/** Whether `secret` hashes to `secretHash`, in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The key id of an API key id generated as a UUIDv7: its hex digits (time-ordered). */
export const keyIdOf = (uuid: string): string => uuid.replaceAll('-', '');
