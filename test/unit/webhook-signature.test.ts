import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  generateWebhookSecret,
  isValidWebhookSecret,
  signWebhook,
  verifyWebhook,
} from '#adapters/webhook/signature';

// 2027-03-14T09:00:00Z, an instant of the simulated clock, far from the machine's real time.
const NOW_SECONDS = 1_805_014_800;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BODY = '{"type":"birthday","data":{"userId":"u1","message":"Hey, John Doe it\'s your birthday"}}';
const ID = 'occ_01J9Z3-2027-03-14';

const headersOf = (signature: string, timestamp = NOW_SECONDS) => ({
  id: ID,
  timestamp: String(timestamp),
  signature,
});

describe('Standard Webhooks signatures', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('given a signed webhook, when the reference standardwebhooks verifier checks it, then it accepts it', () => {
    vi.useFakeTimers({ now: NOW_SECONDS * 1000, toFake: ['Date'] });
    const signature = signWebhook(SECRET, ID, NOW_SECONDS, BODY);

    const payload: unknown = new Webhook(SECRET).verify(BODY, {
      'webhook-id': ID,
      'webhook-timestamp': String(NOW_SECONDS),
      'webhook-signature': signature,
    });

    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(payload).toEqual(JSON.parse(BODY));
  });

  it('given a webhook the reference library signed, when verified here, then it is accepted', () => {
    const signature = new Webhook(SECRET).sign(ID, new Date(NOW_SECONDS * 1000), BODY);

    expect(verifyWebhook(SECRET, headersOf(signature), BODY, NOW_SECONDS)).toBe(true);
    expect(signature).toBe(signWebhook(SECRET, ID, NOW_SECONDS, BODY));
  });

  it('given a generated secret, when a webhook is signed with it, then the reference verifier accepts it', () => {
    vi.useFakeTimers({ now: NOW_SECONDS * 1000, toFake: ['Date'] });
    const secret = generateWebhookSecret();
    const signature = signWebhook(secret, ID, NOW_SECONDS, BODY);

    expect(() =>
      new Webhook(secret).verify(BODY, {
        'webhook-id': ID,
        'webhook-timestamp': String(NOW_SECONDS),
        'webhook-signature': signature,
      }),
    ).not.toThrow();
  });

  const signed = { secret: SECRET, id: ID, timestamp: String(NOW_SECONDS), body: BODY };
  it.each<[string, Partial<typeof signed>]>([
    ['the body', { body: `${BODY} ` }],
    ['the webhook id', { id: `${ID}x` }],
    ['the timestamp', { timestamp: String(NOW_SECONDS + 1) }],
    ['the secret', { secret: generateWebhookSecret() }],
  ])('given a signature, when %s is changed, then it no longer verifies', (_, change) => {
    const signature = signWebhook(SECRET, ID, NOW_SECONDS, BODY);
    const received = { ...signed, ...change };

    const valid = verifyWebhook(
      received.secret,
      { id: received.id, timestamp: received.timestamp, signature },
      received.body,
      NOW_SECONDS,
    );

    expect(valid).toBe(false);
  });

  it('given a timestamp at the edge of the tolerance, when verified, then it passes inside and fails outside', () => {
    const at = NOW_SECONDS - 300;
    const signature = signWebhook(SECRET, ID, at, BODY);

    expect(verifyWebhook(SECRET, headersOf(signature, at), BODY, NOW_SECONDS)).toBe(true);
    expect(verifyWebhook(SECRET, headersOf(signature, at), BODY, NOW_SECONDS + 1)).toBe(false);
    expect(verifyWebhook(SECRET, headersOf(signature, at), BODY, at - 301)).toBe(false);
    expect(verifyWebhook(SECRET, headersOf(signature, at), BODY, NOW_SECONDS + 60, 360)).toBe(true);
  });

  it('given several space-separated signatures (secret rotation), when one of them matches, then it verifies', () => {
    const current = signWebhook(SECRET, ID, NOW_SECONDS, BODY);
    const old = signWebhook(generateWebhookSecret(), ID, NOW_SECONDS, BODY);
    const asymmetric =
      'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==';

    expect(verifyWebhook(SECRET, headersOf(`${old} ${asymmetric} ${current}`), BODY, NOW_SECONDS)).toBe(true);
    expect(verifyWebhook(SECRET, headersOf(`${old} ${asymmetric}`), BODY, NOW_SECONDS)).toBe(false);
  });

  it.each([
    ['a malformed timestamp', { ...headersOf('v1,abc'), timestamp: '12e3' }],
    ['a signature without a version', headersOf('c2lnbmF0dXJl')],
    ['a truncated signature', headersOf('v1,AAAA')],
    ['an empty signature header', headersOf('')],
  ])('given %s, when verified, then it is rejected without throwing', (_, headers) => {
    expect(verifyWebhook(SECRET, headers, BODY, NOW_SECONDS)).toBe(false);
  });

  it('given generated secrets, when checked, then they are valid, distinct and hold 32 random bytes', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();

    expect(isValidWebhookSecret(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
  });

  it.each([
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['an empty key', 'whsec_'],
    ['a key shorter than 24 bytes', `whsec_${Buffer.alloc(23, 7).toString('base64')}`],
    ['a key longer than 64 bytes', `whsec_${Buffer.alloc(65, 7).toString('base64')}`],
    ['characters outside base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w'],
    ['a number', 42],
  ])('given a secret with %s, when checked, then it is invalid', (_, secret) => {
    expect(isValidWebhookSecret(secret)).toBe(false);
  });

  it('given keys of 24 and 64 bytes, when checked, then both are valid', () => {
    expect(isValidWebhookSecret(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBe(true);
    expect(isValidWebhookSecret(`whsec_${Buffer.alloc(64, 1).toString('base64')}`)).toBe(true);
  });
});
