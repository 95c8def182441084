import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { systemClock } from '#commons/clock';

/**
 * A Lambda context for in-process invocations. The remaining time is real time, like in AWS:
 * the simulated clock moves business time, not the CPU's.
 */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = systemClock.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - systemClock.now()),
    /* eslint-disable @typescript-eslint/no-deprecated -- the Context type still requires the legacy callbacks */
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
}
