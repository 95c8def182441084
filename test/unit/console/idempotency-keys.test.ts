import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../console/src/api/errors';
import { PendingKeys, requestIdentity } from '../../../console/src/api/idempotency-keys';

/*
 * The console's Idempotency-Keys (ApiClient.post sends every POST through PendingKeys.send with
 * ApiError.isDefinite). test/e2e/console.test.ts checks the same in the browser: a replay start
 * whose answer was lost, repeated, goes out with the same key and gets the first answer.
 */

/** What the API did with one send: answered, or failed with this status (0: no answer). */
type Outcome = 'ok' | { status: number; retryAfter?: number };

describe('the console’s Idempotency-Keys', () => {
  /** Keys `key-1`, `key-2`, …; `sent` is the key of each send, in order. */
  const pendingKeys = () => {
    let made = 0;
    const sent: string[] = [];
    const keys = new PendingKeys(
      (error) => error instanceof ApiError && error.isDefinite(),
      () => `key-${String((made += 1))}`,
    );
    const send = async (request: string, outcome: Outcome): Promise<void> => {
      await keys
        .send(request, (key) => {
          sent.push(key);
          return outcome === 'ok'
            ? Promise.resolve()
            : Promise.reject(new ApiError(outcome.status, 'Title', 'Detail', [], outcome.retryAfter));
        })
        .catch(() => undefined);
    };
    return { send, sent };
  };
  const redriveAll = requestIdentity('POST', '/v1/dlq/redrive', { all: true });

  it('given a lost answer, when the operator repeats the action, then it goes out with the same key', async () => {
    const { send, sent } = pendingKeys();

    await send(redriveAll, { status: 0 });
    await send(redriveAll, 'ok');

    expect(sent).toEqual(['key-1', 'key-1']);
  });

  it.each<[string, Outcome]>([
    ['a 5xx (the API forgets the key)', { status: 503 }],
    ['a 409 "still being processed" (Retry-After)', { status: 409, retryAfter: 1 }],
    ['a 429 (Retry-After)', { status: 429, retryAfter: 2 }],
  ])('given %s, when the action is repeated, then the same key goes out again', async (_name, first) => {
    const { send, sent } = pendingKeys();

    await send(redriveAll, first);
    await send(redriveAll, 'ok');

    expect(sent).toEqual(['key-1', 'key-1']);
  });

  it.each<[string, Outcome]>([
    ['a success', 'ok'],
    ['a 4xx, which the API keeps for the key', { status: 422 }],
    ['a 412 (If-Match no longer holds)', { status: 412 }],
  ])(
    'given %s, when the same action is done again, then it is a new action with a new key',
    async (_name, first) => {
      const { send, sent } = pendingKeys();

      await send(redriveAll, first);
      await send(redriveAll, 'ok');

      expect(sent).toEqual(['key-1', 'key-2']);
    },
  );

  it('given a lost answer, when another request is sent, then it gets its own key and the first keeps its own', async () => {
    const { send, sent } = pendingKeys();
    const redriveA = requestIdentity('POST', '/v1/dlq/redrive', { messageIds: ['a'] });
    const redriveB = requestIdentity('POST', '/v1/dlq/redrive', { messageIds: ['b'] });

    await send(redriveA, { status: 0 });
    await send(redriveB, 'ok');
    await send(redriveA, 'ok');

    expect(sent).toEqual(['key-1', 'key-2', 'key-1']);
  });

  it('given the same reset with another If-Match, then it is another request', () => {
    expect(requestIdentity('POST', '/v1/circuits/x/reset', undefined, '"1"')).not.toBe(
      requestIdentity('POST', '/v1/circuits/x/reset', undefined, '"2"'),
    );
  });

  it('given no key maker, then keys are UUIDs', async () => {
    const keys = new PendingKeys(() => true);
    const sent: string[] = [];
    await keys.send('request', (key) => Promise.resolve(sent.push(key)));
    expect(sent[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
