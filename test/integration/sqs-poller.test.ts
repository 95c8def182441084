import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { startSqsPoller, type Poller } from '#local/sqs-poller';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('the local SQS event source', () => {
  let server: SqsServer;
  let sqs: SQSClient;
  let poller: Poller | undefined;

  beforeEach(async () => {
    server = await startSqsServer({ clock: new ManualClock(Date.parse('2027-06-15T09:00:00Z')) });
    sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  });

  afterEach(async () => {
    await poller?.stop();
    sqs.destroy();
    await server.stop();
  });

  it('given batches handled, then it counts each invocation and sums their wall time (what Lambda bills as duration)', async () => {
    const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 5 }, (_, i) => ({ Id: String(i), MessageBody: `m${i}` })),
      }),
    );
    const seen: string[] = [];
    let handlerMs = 0;
    let allSeen: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    poller = startSqsPoller({
      client: sqs,
      queueUrl: QueueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:work',
      // Each invocation does measurable work of its own, so the sum cannot be zero by accident.
      handler: async (event: SQSEvent) => {
        const started = performance.now();
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(...event.Records.map((record) => record.body));
        handlerMs += performance.now() - started;
        if (seen.length >= 5) allSeen();
        return { batchItemFailures: [] };
      },
      concurrency: 1,
      batchSize: 2,
      functionTimeoutMs: 60_000,
      onError: () => undefined,
    });
    await done;
    await poller.pause();

    const { count, milliseconds } = poller.invocations();
    expect(seen.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(count).toBe(3); // batches of at most 2
    expect(milliseconds).toBeGreaterThanOrEqual(handlerMs);
  });
});
