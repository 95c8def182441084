/**
 * Standard Webhooks 1.0 symmetric signatures (CONTRACT section 5): `v1,<base64 HMAC-SHA256>` of
 * `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of a `whsec_` secret.
 *
 * @example
 * const secret = generateWebhookSecret();
 * const signature = signWebhook(secret, 'occ_1', 1805014800, '{"type":"birthday"}');
 * verifyWebhook(secret, { id: 'occ_1', timestamp: '1805014800', signature }, '{"type":"birthday"}', 1805014800);
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
// The spec asks for at least 24 random bytes (192 bits) and at most 64 (512 bits).
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const GENERATED_KEY_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Default replay window of the spec's reference verifiers, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookSignatureHeaders {
  id: string;
  /** The `webhook-timestamp` header as received (unix seconds). */
  timestamp: string;
  /** The `webhook-signature` header: one or more space-separated `version,signature` pairs. */
  signature: string;
}

function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('webhook secret is empty');
  return key;
}

function hmac(key: Buffer, webhookId: string, timestampSeconds: number | string, body: string): Buffer {
  return createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.${body}`).digest();
}

/** The `webhook-signature` header value for one attempt. */
export function signWebhook(
  secret: string,
  webhookId: string,
  timestampSeconds: number,
  body: string,
): string {
  return `v1,${hmac(keyOf(secret), webhookId, timestampSeconds, body).toString('base64')}`;
}

/** A secret being rotated out: still signed with until `expiresAt` (epoch ms), then dropped. */
export interface PreviousSecret {
  secret: string;
  /** Epoch milliseconds; from this instant on the secret no longer signs. */
  expiresAt: number;
}

/**
 * The secrets that sign at `nowMs`: the current one first, then every previous secret whose
 * overlap window is still open. Duplicates are dropped, so re-listing the current secret as a
 * previous one sends no second identical signature.
 */
export function secretsInEffect(
  current: string,
  previous: readonly PreviousSecret[] | undefined,
  nowMs: number,
): string[] {
  const secrets = [current];
  for (const { secret, expiresAt } of previous ?? []) {
    if (nowMs < expiresAt && !secrets.includes(secret)) secrets.push(secret);
  }
  return secrets;
}

/**
 * The `webhook-signature` header for several secrets: space-separated `v1,<sig>` pairs, as
 * Standard Webhooks allows so a receiver holding either the old or the new secret verifies it
 * during a rotation.
 */
export function signWebhookWithEach(
  secrets: readonly string[],
  webhookId: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((secret) => signWebhook(secret, webhookId, timestampSeconds, body)).join(' ');
}

/**
 * Verifies a received webhook the way a Standard Webhooks consumer does. `nowSeconds` is passed in
 * rather than read, because the local runtime's clock is simulated and may be hours ahead of the
 * machine's.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookSignatureHeaders,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!/^\d+$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  // Sign the header text exactly as received: re-formatting the number could change the signed bytes.
  const expected = hmac(keyOf(secret), headers.id, headers.timestamp, body);
  // Several signatures are allowed so a secret can be rotated without downtime: any v1 match wins.
  return headers.signature.split(' ').some((candidate) => {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') return false;
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    // timingSafeEqual throws on a length mismatch; the length of an HMAC is no secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(GENERATED_KEY_BYTES).toString('base64')}`;
}

/** True for `whsec_` + canonical base64 of 24 to 64 bytes, the key sizes the spec allows. */
export function isValidWebhookSecret(secret: unknown): secret is string {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length === 0 || !BASE64.test(encoded)) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= MIN_KEY_BYTES && bytes <= MAX_KEY_BYTES;
}
