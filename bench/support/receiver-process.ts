import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ReceiverStats {
  /** Every POST, webhook or not (the raw-POST ceiling sends plain ones). */
  posts: number;
  /** POSTs carrying a `webhook-id`. */
  webhooks: number;
  unique: number;
  /** Epoch ms (sub-ms resolution) of each webhook's arrival, in arrival order. */
  arrivals: number[];
}

export interface ReceiverProcess {
  url: string;
  reset(): Promise<void>;
  stats(): Promise<ReceiverStats>;
  /** Resolves once `count` distinct webhook ids have arrived (polling), or rejects after `timeoutMs`. */
  waitForUnique(count: number, timeoutMs: number): Promise<ReceiverStats>;
  stop(): Promise<void>;
}

/** Starts fast-receiver.ts in a child process (with tsx, like the rest of the bench). */
export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./fast-receiver.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(kind: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { kind: string }): void => {
        if (message.kind !== kind) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as T);
      };
      const onExit = (code: number | null): void => {
        reject(new Error(`receiver exited with ${String(code)}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { port } = await next<{ port: number }>('ready');
  const ask = async (kind: 'stats' | 'count'): Promise<ReceiverStats> => {
    const answer = next<ReceiverStats>(kind);
    child.send({ kind });
    return answer;
  };
  const stats = (): Promise<ReceiverStats> => ask('stats');
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    reset: async () => {
      const answer = next('reset');
      child.send({ kind: 'reset' });
      await answer;
    },
    stats,
    waitForUnique: async (count, timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        // Counts only while waiting: the arrival times travel once, at the end.
        const current = await ask('count');
        if (current.unique >= count) return stats();
        if (performance.now() > deadline) {
          throw new Error(`receiver got ${current.unique} of ${count} webhooks within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
