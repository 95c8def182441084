import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { main } from '../../../cli/main';

/*
 * Test helpers for the CLI: a real HTTP server on 127.0.0.1 that the test scripts (what the CLI
 * talks to over real fetch), and `occasions …` run in-process against it with a clock of the
 * test's own, so waits (backoff, Retry-After, polling) move that clock instead of passing.
 */

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** How the server answers one request: a status, headers and a JSON body, or a dropped connection. */
export type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop';

export interface Loopback {
  url: string;
  /** Every request, in order, with its parsed JSON body. */
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A loopback HTTP server answering each request with what `answer` returns for it. */
export async function startLoopback(answer: (request: SeenRequest) => Answer): Promise<Loopback> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      reply(res, answer(request));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}

function reply(res: ServerResponse, answer: Answer): void {
  if (answer === 'drop') {
    // The request arrived, the answer never does: what a reset after the work looks like.
    res.socket?.destroy();
    return;
  }
  const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...answer.headers,
  });
  res.end(body);
}

/** Answers in turn from `script`, then `rest` for every request after it. */
export function scripted(script: readonly Answer[], rest: Answer): () => Answer {
  let next = 0;
  return () => {
    const answer = script[next] ?? rest;
    next += 1;
    return answer;
  };
}

/** A clock that only moves when the code under test waits on it. */
export class TestClock {
  nowMs = 0;
  readonly sleeps: number[] = [];

  readonly time = {
    now: (): number => this.nowMs,
    sleep: (ms: number): Promise<void> => {
      this.sleeps.push(ms);
      this.nowMs += ms;
      return Promise.resolve();
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `occasions …argv` in-process against `url` with the key `test-key`, on `clock`. */
export async function runCli(
  argv: readonly string[],
  options: { url: string; cwd?: string; clock?: TestClock },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    env: { OCCASIONS_URL: options.url, OCCASIONS_API_KEY: 'test-key' },
    cwd: options.cwd ?? process.cwd(),
    streams: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    time: (options.clock ?? new TestClock()).time,
  });
  return { code, stdout, stderr };
}
