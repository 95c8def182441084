import { InFlight } from '#commons/in-flight';
import type { ReplayLauncher } from '#ports/replay-launcher';

/**
 * Runs a replay job in the background of this process (the local runtime and tests): `launch`
 * returns at once, like an asynchronous Lambda invocation, and `settled` waits for every run
 * started through it, continuations included.
 */
export class InProcessReplayLauncher implements ReplayLauncher {
  private readonly running = new InFlight();

  /**
   * @param run the job's runner (the replay handler locally, the use case in tests); its
   *   failure is reported to `onError`, never thrown at the caller of `launch`
   */
  constructor(
    private readonly run: (jobId: string) => Promise<unknown>,
    private readonly onError: (jobId: string, error: unknown) => void,
  ) {}

  launch(jobId: string): Promise<void> {
    // Started on a later turn, as Lambda would: the caller's answer never waits for the job.
    void this.running.track(
      new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.run(jobId))
        .then(
          () => undefined,
          (error: unknown) => {
            this.onError(jobId, error);
          },
        ),
    );
    return Promise.resolve();
  }

  /** Every run started through it, continuations included (a run may launch its own). */
  settled(): Promise<void> {
    return this.running.settled();
  }
}
