import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface AwsRequestCounter {
  /** Requests by `x-amz-target` (e.g. `AmazonSQS.SendMessageBatch`, `AWSEvents.PutEvents`). */
  counts(): Record<string, number>;
  reset(): void;
  stop(): void;
}

const CHANNEL = 'http.client.request.start';

/**
 * Counts the AWS requests this process sends, by operation, at the HTTP layer (Node's
 * `http.client.request.start` diagnostics channel): every SDK client of the local runtime is
 * seen, including those it builds itself, without touching its code. Only requests that carry an
 * `x-amz-target` header (the JSON protocols of SQS, EventBridge and DynamoDB) are counted.
 */
export function countAwsRequests(): AwsRequestCounter {
  let counts: Record<string, number> = {};
  const onRequest = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    const target = request.getHeader('x-amz-target');
    if (typeof target !== 'string') return;
    counts[target] = (counts[target] ?? 0) + 1;
  };
  subscribe(CHANNEL, onRequest);
  return {
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    stop: () => {
      unsubscribe(CHANNEL, onRequest);
    },
  };
}
