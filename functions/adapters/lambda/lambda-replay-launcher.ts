import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ReplayLauncher } from '#ports/replay-launcher';

/** What the replay Lambda receives: the job to run (everything else is on the job item). */
export interface ReplayInvocation {
  jobId: string;
}

/**
 * Launches a replay job as an asynchronous invocation (InvocationType Event) of the replay
 * Lambda: Lambda queues the event and answers 202 at once; a failed run is retried by Lambda
 * and resumes from the job's saved progress.
 */
export class LambdaReplayLauncher implements ReplayLauncher {
  constructor(private readonly options: { client: LambdaClient; functionName: string }) {}

  async launch(jobId: string): Promise<void> {
    const payload: ReplayInvocation = { jobId };
    const { StatusCode, FunctionError } = await this.options.client.send(
      new InvokeCommand({
        FunctionName: this.options.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    if (StatusCode !== 202 || FunctionError !== undefined) {
      throw new Error(`could not launch replay job ${jobId}: Lambda answered ${StatusCode ?? 'nothing'}`);
    }
  }
}
