import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamoClients, startEmbeddedDynamo, type EmbeddedDynamo } from '#local/embedded-dynamodb';
import { listenOnLoopback } from '#local/listen';
import { LOCAL_TABLE } from '#local/runtime';
import { startTestService, type TestService } from '../support/local-service';

/**
 * An HTTP gate in front of the local DynamoDB: while held, it keeps the requests it receives (all,
 * or those whose body matches) until released, so a test knows the service waits on the store.
 */
interface Gate {
  endpoint: string;
  hold(matching?: RegExp): void;
  /** Resolves when a request is first held. */
  readonly firstHeld: Promise<void>;
  release(): void;
  stop(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  let holding: RegExp | undefined;
  const held: (() => void)[] = [];
  let signalHeld!: () => void;
  const firstHeld = new Promise<void>((resolve) => {
    signalHeld = resolve;
  });
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = (): void => {
        const upstream = httpRequest(
          `${target}${req.url ?? '/'}`,
          { method: req.method, headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      };
      if (!holding?.test(body.toString('utf8'))) {
        forward();
        return;
      }
      held.push(forward);
      signalHeld();
    });
  });
  const { port } = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    hold: (matching = /[^]*/) => {
      holding = matching;
    },
    firstHeld,
    release: () => {
      holding = undefined;
      for (const forward of held.splice(0)) forward();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** Resolves once the runtime's port refuses connections (its HTTP server has stopped listening). */
async function refused(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(`${url}/health`);
    } catch {
      return;
    }
  }
}

describe('the local runtime stopping while the API is still handling a request', () => {
  let dynamo: EmbeddedDynamo;
  let gate: Gate;
  let service: TestService;

  beforeEach(async () => {
    dynamo = await startEmbeddedDynamo();
    gate = await startGate(dynamo.endpoint);
    service = await startTestService({
      clockStart: '2027-06-01T00:00:00Z',
      extraEnv: { DYNAMODB_ENDPOINT: gate.endpoint },
    });
  });

  afterEach(async () => {
    await service.stop({ removeData: true });
    await gate.stop();
    await dynamo.stop();
  });

  it('given a POST whose client hung up while it waits on DynamoDB, when the runtime stops, then the user is written before the clients close', async () => {
    gate.hold();
    const post = httpRequest(`${service.runtime.url}/v1/users`, {
      method: 'POST',
      headers: { 'x-api-key': service.runtime.adminApiKey, 'content-type': 'application/json' },
    });
    post.on('error', () => undefined);
    post.end(
      JSON.stringify({
        firstName: 'Ada',
        lastName: 'Lovelace',
        birthday: '1990-12-10',
        timezone: 'Europe/London',
      }),
    );
    await gate.firstHeld;
    post.destroy();

    let stopped = false;
    const stopping = service.runtime.stop().then(() => {
      stopped = true;
    });
    await refused(service.runtime.url);
    expect(stopped).toBe(false);
    gate.release();
    await stopping;

    const { doc } = dynamoClients(dynamo.endpoint);
    const { Items = [] } = await doc.send(
      new ScanCommand({
        TableName: LOCAL_TABLE,
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': 'PROFILE' },
      }),
    );
    doc.destroy();
    expect(Items.map((item) => `${String(item.firstName)} ${String(item.lastName)}`)).toEqual([
      'Ada Lovelace',
    ]);
  });

  it('given a delivery to the built-in receiver waiting on its claim, when the runtime stops, then it is delivered before the receiver goes', async () => {
    const created = await service.api('POST', '/v1/users', {
      firstName: 'Grace',
      lastName: 'Hopper',
      birthday: '1990-06-01',
      timezone: 'Europe/London',
    });
    expect(created.status).toBe(201);
    // The worker's claim (a put of the occurrence) waits at the gate; the pass's writes do not.
    gate.hold(/"OCC#/);
    await service.setClock('2027-06-01T08:01:00Z');
    await gate.firstHeld;

    const stopping = service.runtime.stop();
    gate.release();
    await stopping;

    const received = readFileSync(join(service.dataDir, 'sink.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(received.map((line) => JSON.stringify(JSON.parse(line)).includes('Hey, Grace Hopper'))).toEqual([
      true,
    ]);
    const { doc } = dynamoClients(dynamo.endpoint);
    const { Items = [] } = await doc.send(
      new ScanCommand({
        TableName: LOCAL_TABLE,
        FilterExpression: 'begins_with(pk, :occurrence) AND sk = :state',
        ExpressionAttributeValues: { ':occurrence': 'OCC#', ':state': 'STATE' },
      }),
    );
    doc.destroy();
    expect(Items.map((item) => `${String(item.status)}, ${String(item.lastError ?? 'no error')}`)).toEqual([
      'delivered, no error',
    ]);
  });
});
