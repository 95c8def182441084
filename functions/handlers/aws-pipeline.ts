import { awsClients, readSecret } from '#commons/clients';
import { systemClock } from '#commons/clock';
import {
  ConfigError,
  parseConfig,
  schedulerConfigSpec,
  WEBHOOK_SECRET_PATTERN,
  workerConfigSpec,
} from '#commons/config';
import type { ScheduleDueOccurrences } from '#use-cases/schedule-due.use-case';
import { buildScheduler, buildWorker, type Worker } from './pipeline';

/*
 * The scheduler and the worker as a Lambda container builds them: once, on first use (so
 * importing a handler module for its factory, as the local runtime does, reads no environment).
 */
let scheduler: Promise<ScheduleDueOccurrences> | undefined;
let worker: Promise<Worker> | undefined;

/** A failed cold start (a transient Secrets Manager error, say) is not cached: the next invocation retries. */
function forgetOnFailure<T>(promise: Promise<T>, forget: () => void): Promise<T> {
  return promise.catch((error: unknown) => {
    forget();
    throw error;
  });
}

export function awsScheduler(): Promise<ScheduleDueOccurrences> {
  scheduler ??= forgetOnFailure(
    Promise.resolve().then(() => {
      const config = parseConfig(schedulerConfigSpec, process.env);
      return buildScheduler({
        ...config,
        clients: awsClients(),
        clock: systemClock,
        maxLatenessMs: config.maxLatenessHours * 3_600_000,
      });
    }),
    () => {
      scheduler = undefined;
    },
  );
  return scheduler;
}

export function awsWorker(): Promise<Worker> {
  worker ??= forgetOnFailure(
    (async () => {
      const config = parseConfig(workerConfigSpec, process.env);
      const webhookSecret = await readSecret(config.webhookSecretArn);
      const previous = config.webhookPreviousSecret;
      const webhookPreviousSecrets = previous
        ? [{ secret: await readPreviousSecret(previous.value), expiresAt: previous.expiresAt }]
        : undefined;
      return buildWorker({
        ...config,
        webhookSecret,
        ...(webhookPreviousSecrets ? { webhookPreviousSecrets } : {}),
        clients: awsClients(),
        clock: systemClock,
      });
    })(),
    () => {
      worker = undefined;
    },
  );
  return worker;
}

/** The secret being rotated out; a value that is no `whsec_` secret stops the cold start, naming the variable. */
async function readPreviousSecret(arn: string): Promise<string> {
  const secret = (await readSecret(arn)).trim();
  if (!WEBHOOK_SECRET_PATTERN.test(secret)) {
    throw new ConfigError('WEBHOOK_PREVIOUS_SECRET_ARN: the secret is not whsec_ followed by base64');
  }
  return secret;
}
