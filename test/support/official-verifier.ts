import { Webhook } from 'standardwebhooks';
import { vi } from 'vitest';
import type { ReceivedWebhook } from './receiver';

/** The secret the test service signs global webhooks with (test/support/local-service.ts). */
export const TEST_GLOBAL_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * Whether the official Standard Webhooks library accepts a received webhook with `secret`, as a
 * receiver would at `atMs` (by default the instant it was signed): the library reads `Date` for
 * its 5-minute replay window, and our clock is simulated.
 */
export function officiallyVerifies(request: ReceivedWebhook, secret: string, atMs?: number): boolean {
  vi.useFakeTimers({ now: atMs ?? request.webhookTimestamp * 1000, toFake: ['Date'] });
  try {
    new Webhook(secret).verify(request.rawBody, {
      'webhook-id': request.webhookId,
      'webhook-timestamp': String(request.webhookTimestamp),
      'webhook-signature': request.signature,
    });
    return true;
  } catch {
    return false;
  } finally {
    vi.useRealTimers();
  }
}
