import { awsClients, readSecret } from '#commons/clients';
import { systemClock } from '#commons/clock';
import { parseConfig, schedulerConfigSpec, workerConfigSpec } from '#commons/config';
import type { ScheduleDueOccurrences } from '#use-cases/schedule-due.use-case';
import { buildScheduler, buildWorker, type Worker } from './pipeline';

/*
 * The scheduler and the worker as a Lambda container builds them: once, on first use (so
 * importing a handler module for its factory, as the local runtime does, reads no environment).
 */
let scheduler: Promise<ScheduleDueOccurrences> | undefined;
let worker: Promise<Worker> | undefined;

export function awsScheduler(): Promise<ScheduleDueOccurrences> {
  scheduler ??= Promise.resolve().then(() => {
    const config = parseConfig(schedulerConfigSpec, process.env);
    return buildScheduler({
      ...config,
      clients: awsClients(),
      clock: systemClock,
      maxLatenessMs: config.maxLatenessHours * 3_600_000,
    });
  });
  return scheduler;
}

export function awsWorker(): Promise<Worker> {
  worker ??= (async () => {
    const config = parseConfig(workerConfigSpec, process.env);
    const webhookSecret = await readSecret(config.webhookSecretArn);
    return buildWorker({ ...config, webhookSecret, clients: awsClients(), clock: systemClock });
  })();
  return worker;
}
