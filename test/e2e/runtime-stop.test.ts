import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamoClients, startEmbeddedDynamo, type EmbeddedDynamo } from '#local/embedded-dynamodb';
import { listenOnLoopback } from '#local/listen';
import { LOCAL_TABLE } from '#local/runtime';
import { startTestService, type TestService } from '../support/local-service';

/**
 * An HTTP gate in front of the local DynamoDB: while held, it keeps every request it receives
 * until released, so a test knows a request of the service is waiting on the store.
 */
interface Gate {
  endpoint: string;
  hold(): void;
  /** Resolves when a request arrives while held. */
  readonly firstHeld: Promise<void>;
  release(): void;
  stop(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  let holding = false;
  const held: (() => void)[] = [];
  let signalHeld!: () => void;
  const firstHeld = new Promise<void>((resolve) => {
    signalHeld = resolve;
  });
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
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
      req.pipe(upstream);
    };
    if (!holding) {
      forward();
      return;
    }
    held.push(forward);
    signalHeld();
  });
  const { port } = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    hold: () => {
      holding = true;
    },
    firstHeld,
    release: () => {
      holding = false;
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

    const stopping = service.runtime.stop();
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
});
