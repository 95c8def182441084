import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root, where `npm start` runs. */
const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** Real-time bound on a start (tsx compiles on the fly). */
const START_TIMEOUT_MS = 30_000;
export const CHILD_ADMIN_API_KEY = 'fault-admin-key';
export const CHILD_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** The variables of CONTRACT section 2: none leaks in from the environment the tests run in. */
const CONTRACT_VARIABLES = [
  'PORT',
  'DATA_DIR',
  'ADMIN_API_KEY',
  'WEBHOOK_URL',
  'WEBHOOK_SECRET',
  'CLOCK_START',
  'CLOCK_RATE',
  'TICK_SECONDS',
  'WEBHOOK_ALLOWED_HOSTS',
  'DYNAMODB_ENDPOINT',
  'LOG_LEVEL',
];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildRuntime {
  child: ChildProcess;
  url: string;
  /** Settles once the process has exited and its output is closed. */
  exited: Promise<Exit>;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Calls the API with the admin key (or `apiKey`). */
  api(
    method: string,
    path: string,
    body?: unknown,
    apiKey?: string,
  ): Promise<{ status: number; body: unknown }>;
}

/**
 * `node --import tsx local/main.ts` (what `npm start` runs) as a child process, ready once it
 * printed its URL and answers /health: a runtime a test can SIGKILL and start again on the
 * same DATA_DIR. The caller kills what it started (see `exited`).
 */
export async function startChildRuntime(
  variables: Record<string, string>,
  options: {
    /** Leave ADMIN_API_KEY and WEBHOOK_SECRET unset, so the runtime generates and prints them. */
    generatedCredentials?: boolean;
  } = {},
): Promise<ChildRuntime> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !CONTRACT_VARIABLES.includes(entry[0]),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...Object.fromEntries(inherited),
      PORT: '0',
      TICK_SECONDS: '31536000',
      LOG_LEVEL: 'ERROR',
      ...(options.generatedCredentials
        ? {}
        : { ADMIN_API_KEY: CHILD_ADMIN_API_KEY, WEBHOOK_SECRET: CHILD_WEBHOOK_SECRET }),
      ...variables,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('close', (code, signal) => {
      resolveExit({ code, signal });
    });
  });

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "running at" line within ${START_TIMEOUT_MS} ms\n${output}`));
    }, START_TIMEOUT_MS);
    const look = (): void => {
      const match = /Occasions is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolveUrl(match[1]!);
    };
    child.stdout.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal ?? '?'}) before it was ready\n${output}`));
    });
  });

  const api: ChildRuntime['api'] = async (method, path, body, apiKey = CHILD_ADMIN_API_KEY) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        'x-api-key': apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const health = await fetch(`${url}/health`);
  if (health.status !== 200) throw new Error(`/health answered ${health.status}`);
  return { child, url, exited, output: () => output, api };
}

/** Waits for the exit, at most `timeoutMs` of real time. */
export async function exitWithin(running: ChildRuntime, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      running.exited,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`still running after ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
