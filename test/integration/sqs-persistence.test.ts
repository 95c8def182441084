import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#commons/clock';
import { startSqsServer, type SqsServer } from '#local/sqs/sqs-server';

const START = Date.parse('2027-03-14T09:00:00Z');
const SECOND = 1000;

const clientFor = (endpoint: string): SQSClient =>
  new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

const queueUrl = (server: SqsServer, name: string): string => `${server.endpoint}/000000000000/${name}`;

async function receiveAll(client: SQSClient, url: string): Promise<Message[]> {
  const { Messages } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 600,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

describe('the local SQS server on disk', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'occasions-sqs-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    return dir;
  }

  async function start(dataDir: string, clock: ManualClock): Promise<{ server: SqsServer; sqs: SQSClient }> {
    const server = await startSqsServer({ clock, dataDir });
    const sqs = clientFor(server.endpoint);
    cleanups.push(async () => {
      sqs.destroy();
      await server.stop();
    });
    return { server, sqs };
  }

  /** A queue with one visible, one in-flight (30 s left) and one delayed (60 s left) message. */
  async function seed(sqs: SQSClient): Promise<string> {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '30' } }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'in flight' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'visible', MessageBody: 'visible' },
          { Id: 'delayed', MessageBody: 'delayed', DelaySeconds: 60 },
        ],
      }),
    );
    return QueueUrl!;
  }

  it('given visible, in-flight and delayed messages, when the server restarts on the same dataDir, then nothing is lost and hidden ones reappear on time', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(START);
    const first = await start(dataDir, clock);
    await seed(first.sqs);
    expect(first.server.stats('durable')).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
    await first.server.stop();

    const second = await start(dataDir, clock);
    const url = queueUrl(second.server, 'durable');
    expect(second.server.stats('durable')).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
    const { Attributes } = await second.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes).toEqual({ VisibilityTimeout: '30' });

    clock.advance(30 * SECOND);
    const afterVisibility = await receiveAll(second.sqs, url);
    expect(
      afterVisibility.map((message) => [message.Body, message.Attributes?.ApproximateReceiveCount]),
    ).toEqual([
      ['visible', '1'],
      ['in flight', '2'],
    ]);
    clock.advance(30 * SECOND);
    expect((await receiveAll(second.sqs, url)).map((message) => message.Body)).toEqual(['delayed']);
  });

  it('given a server process killed with SIGKILL right after its answers, when a server starts on its dataDir, then every acknowledged write is there', async () => {
    const dataDir = tempDir();
    const serverModule = resolve('local/sqs/sqs-server.ts');
    // A real separate process, so the kill cannot run any shutdown code.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startSqsServer } = await import(${JSON.stringify(serverModule)});
         const server = await startSqsServer({ clock: { now: () => ${START} }, dataDir: ${JSON.stringify(dataDir)} });
         console.log(server.endpoint);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const endpoint = chunk.toString('utf8').trim();
    const remote = clientFor(endpoint);
    const url = await seed(remote);
    await remote.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'last acknowledged' }));
    child.kill('SIGKILL');
    await once(child, 'exit');
    remote.destroy();

    const clock = new ManualClock(START);
    const { server, sqs } = await start(dataDir, clock);
    expect(server.stats('durable')).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
    clock.advance(60 * SECOND);
    const bodies = (await receiveAll(sqs, queueUrl(server, 'durable'))).map((message) => message.Body).sort();
    expect(bodies).toEqual(['delayed', 'in flight', 'last acknowledged', 'visible']);
  });

  it('given a journal whose last line was torn by a kill mid-write, when the server starts, then it loads everything before it and keeps journaling', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(START);
    const first = await start(dataDir, clock);
    await seed(first.sqs);
    // Simulate the kill: copy the files as they are while the server runs, plus half a line.
    const copy = tempDir();
    for (const file of ['snapshot.json', 'journal.ndjson']) {
      writeFileSync(join(copy, file), readFileSync(join(dataDir, file)));
    }
    appendFileSync(join(copy, 'journal.ndjson'), '[{"op":"put","queue":"durable","message":{"id":"torn","se');

    const second = await start(copy, clock);
    expect(second.server.stats('durable')).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
    await second.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl(second.server, 'durable'), MessageBody: 'after the tear' }),
    );
    await second.server.stop();

    const third = await start(copy, clock);
    expect(third.server.stats('durable')).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
  });

  it('given a journal damaged before its last line, when the server starts, then it refuses rather than silently dropping writes', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(START);
    const first = await start(dataDir, clock);
    await seed(first.sqs);
    await first.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl(first.server, 'durable'), MessageBody: 'one more' }),
    );
    const journal = join(dataDir, 'journal.ndjson');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = '{not json';
    writeFileSync(journal, lines.join('\n'));
    await expect(startSqsServer({ clock, dataDir })).rejects.toThrow(/unreadable journal line/);
  });
});
