import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '#commons/clock';
import { HttpWebhookSender } from '#adapters/webhook/http-webhook-sender';
import { generateWebhookSecret, verifyWebhook } from '#adapters/webhook/signature';
import { officiallyVerifies } from '../support/official-verifier';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';

/**
 * A secret rotation seen by two real receivers: one still holding the old secret, one already on
 * the new one. Both check with the official `standardwebhooks` verifier.
 */
describe('secret rotation over a real HTTP receiver', () => {
  const clock = new ManualClock(new Date('2027-03-14T09:00:00Z'));
  const overlapEnds = Date.parse('2027-03-15T09:00:00Z');
  const oldSecret = generateWebhookSecret();
  const newSecret = generateWebhookSecret();
  const receiver = new TestReceiver();
  const sender = new HttpWebhookSender({ clock });

  beforeAll(async () => {
    await receiver.start();
  });

  afterAll(async () => {
    await receiver.stop();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const sendNow = async (): Promise<ReceivedWebhook> => {
    const outcome = await sender.send({
      url: receiver.url,
      webhookId: 'occ_rotation',
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: JSON.stringify({ type: 'birthday', data: { userId: 'u1', message: 'Hey' } }),
      secret: newSecret,
      previousSecrets: [{ secret: oldSecret, expiresAt: overlapEnds }],
      timeoutMs: 2_000,
    });
    expect(outcome).toMatchObject({ kind: 'delivered' });
    return receiver.requests.at(-1)!;
  };

  const officialVerifies = (secret: string, request: ReceivedWebhook): boolean =>
    officiallyVerifies(request, secret, clock.now());
  const ownVerifies = (secret: string, request: ReceivedWebhook): boolean =>
    verifyWebhook(
      secret,
      { id: request.webhookId, timestamp: String(request.webhookTimestamp), signature: request.signature },
      request.rawBody,
      Math.floor(clock.now() / 1000),
    );

  it('given the overlap window is open, when a webhook is sent, then it carries both signatures and receivers on either secret verify it', async () => {
    clock.set(overlapEnds - 1);

    const request = await sendNow();

    expect(request.signature).toMatch(/^v1,\S+ v1,\S+$/);
    expect(officialVerifies(oldSecret, request)).toBe(true);
    expect(officialVerifies(newSecret, request)).toBe(true);
    expect(ownVerifies(oldSecret, request)).toBe(true);
    expect(ownVerifies(newSecret, request)).toBe(true);
  });

  it('given the overlap window has ended, when a webhook is sent, then only the new secret signs it', async () => {
    clock.set(overlapEnds);

    const request = await sendNow();

    expect(request.signature).toMatch(/^v1,\S+$/);
    expect(officialVerifies(newSecret, request)).toBe(true);
    expect(officialVerifies(oldSecret, request)).toBe(false);
    expect(ownVerifies(oldSecret, request)).toBe(false);
  });

  it('given no previous secrets, when a webhook is sent, then one signature with the current secret, as before', async () => {
    clock.set(overlapEnds - 60_000);
    const outcome = await sender.send({
      url: receiver.url,
      webhookId: 'occ_single',
      timestampSeconds: Math.floor(clock.now() / 1000),
      body: '{"type":"birthday"}',
      secret: newSecret,
      timeoutMs: 2_000,
    });

    expect(outcome).toMatchObject({ kind: 'delivered' });
    const request = receiver.requests.at(-1)!;
    expect(request.signature).toMatch(/^v1,\S+$/);
    expect(officialVerifies(newSecret, request)).toBe(true);
  });
});
