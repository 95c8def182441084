import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { request, Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { keys, shardOf, watchPartition } from '#adapters/dynamodb/table-layout';

/**
 * Discarded before each ceiling: the first second of a loop runs colder code (JIT), opens its
 * sockets and meets the LevelDB compaction of the users just seeded. Without it the write ceiling
 * of one bench varied 1.7 x between its runs, with it 1.17 x (docs/performance.md, sixth run).
 */
const WARM_UP_MS = 1_000;

/**
 * Keeps `concurrency` operations in flight for a warm-up, then for `durationMs`; returns the
 * completed operations per second of the second stretch.
 */
async function closedLoop(
  concurrency: number,
  durationMs: number,
  operation: () => Promise<void>,
): Promise<number> {
  await operationsPerSecond(concurrency, WARM_UP_MS, operation);
  return operationsPerSecond(concurrency, durationMs, operation);
}

async function operationsPerSecond(
  concurrency: number,
  durationMs: number,
  operation: () => Promise<void>,
): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await operation();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => loop()));
  return done / ((performance.now() - started) / 1000);
}

/**
 * Ceiling 1: raw conditional writes per second to the local DynamoDB, at the pipeline's
 * concurrency. Each write is an occurrence-shaped item (same size, same watch-index keys) put with
 * `attribute_not_exists(pk)`, the condition of the scheduler's claim.
 */
export function conditionalWritesPerSecond(
  doc: DynamoDBDocumentClient,
  tableName: string,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  return closedLoop(concurrency, durationMs, async () => {
    const id = `occ_${randomUUID().replaceAll('-', '')}`;
    const at = Date.UTC(2027, 5, 15, 9);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.occurrence(id),
          entity: 'occurrence',
          occurrenceId: id,
          userId: '01900000-0000-7000-8000-000000000001',
          eventKey: 'birthday',
          localDate: '2027-06-15',
          timezone: 'Europe/London',
          scheduledFor: at,
          fingerprint: '1990-06-15|Europe/London',
          status: 'queued',
          attempts: 0,
          deferrals: 0,
          attemptSequence: 0,
          watchAt: at + 900_000,
          watchPk: watchPartition(at + 900_000, shardOf(id, 8)),
          enqueuedAt: at,
          createdAt: at,
          updatedAt: at,
          correlationId: 'req-bench',
          version: 1,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  });
}

/**
 * Ceiling 2: raw HTTP POSTs per second to the receiver at the same concurrency, with a body of
 * the webhook's size, on a keep-alive agent like the one `fetch` keeps.
 */
export function postsPerSecond(
  url: string,
  concurrency: number,
  durationMs: number,
  body: string,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  return closedLoop(
    concurrency,
    durationMs,
    () =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if ((res.statusCode ?? 0) >= 300) reject(new Error(`receiver answered ${res.statusCode}`));
              else resolve();
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  ).finally(() => {
    agent.destroy();
  });
}
