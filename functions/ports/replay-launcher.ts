/**
 * Starts a replay job's runner without waiting for it: the API answers 202 at once, and a runner
 * short of time hands the rest of its job to a fresh one. In AWS an asynchronous invocation of
 * the replay Lambda; locally and in tests the same use case in the background of this process.
 *
 * @example
 * await launcher.launch('rpl_0123456789abcdef0123456789abcdef'); // returns before the job runs
 */
export interface ReplayLauncher {
  /** Hands the job to a runner; resolves once the hand-over is done, never after the job. */
  launch(jobId: string): Promise<void>;
  /**
   * In-process launchers: resolves once every job launched through it has stopped (tests,
   * drain, shutdown). A remote launcher has nothing to wait for.
   */
  settled?(): Promise<void>;
}
