import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '#adapters/webhook/signature';
import { startTestService, type TestService } from '../support/local-service';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('the /_local endpoints (CONTRACT section 2)', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ clockStart: '2027-01-01T00:00:00Z' });
  });

  afterAll(async () => {
    await service.stop();
  });

  it('given no API key, then every /_local route answers 401 with a problem', async () => {
    for (const [method, path] of [
      ['GET', '/_local/clock'],
      ['POST', '/_local/tick'],
      ['POST', '/_local/drain'],
      ['GET', '/_local/sink'],
    ] as const) {
      const response = await fetch(`${service.runtime.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('given a jump forward, then the clock reads the new instant; backwards is a 409; beyond 9000 a 400', async () => {
    const forward = await service.api('POST', '/_local/clock', { now: '2027-03-01T10:00:00Z' });
    expect(forward.status).toBe(200);
    expect((forward.body as { now: string }).now.slice(0, 16)).toBe('2027-03-01T10:00');
    const read = await service.api('GET', '/_local/clock');
    expect(Date.parse((read.body as { now: string }).now)).toBeGreaterThanOrEqual(
      Date.parse('2027-03-01T10:00:00Z'),
    );

    const backwards = await service.api('POST', '/_local/clock', { now: '2026-01-01T00:00:00Z' });
    expect(backwards.status).toBe(409);
    const farFuture = await service.api('POST', '/_local/clock', { now: '9500-01-01T00:00:00Z' });
    expect(farFuture.status).toBe(400);
    expect(JSON.stringify(farFuture.body)).toContain('now');
    const notADate = await service.api('POST', '/_local/clock', { now: 'tomorrow' });
    expect(notADate.status).toBe(400);
  });

  it('given nothing due, then tick and drain answer their documented shapes', async () => {
    const tick = await service.api('POST', '/_local/tick');
    expect(tick.status).toBe(200);
    expect(tick.body).toEqual({ due: 0, enqueued: 0 });
    const drain = await service.api('POST', '/_local/drain', { timeoutSeconds: 5 });
    expect(drain.status).toBe(200);
    expect(drain.body).toEqual({ delivered: 0, failed: 0, pending: 0, dlq: 0 });
  });

  it('given a webhook signed with the secret, then the sink keeps it; a bad signature is a 401 and is not kept', async () => {
    const body = JSON.stringify({ type: 'birthday', data: { message: 'hi' } });
    const { now } = (await service.api('GET', '/_local/clock')).body as { now: string };
    const timestamp = Math.floor(Date.parse(now) / 1000);
    const post = (signature: string) =>
      fetch(`${service.runtime.url}/_local/sink`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_test',
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
      });
    expect((await post(signWebhook(SECRET, 'msg_test', timestamp, body))).status).toBe(204);
    expect((await post('v1,AAAA')).status).toBe(401);
    const sink = await service.api('GET', '/_local/sink');
    const items = (sink.body as { items: { webhookId: string; payload: unknown }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ webhookId: 'msg_test', payload: { type: 'birthday' } });
  });
});
