import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from './config';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export interface OccasionsStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Adds both Occasions stacks for one environment to an app and registers the cdk-nag
 * AwsSolutions checks, which fail synthesis on any unacknowledged finding.
 *
 * @example
 * const app = new App();
 * buildOccasions(app, loadConfig(app.node));
 */
export function buildOccasions(app: App, config: EnvironmentConfig): OccasionsStacks {
  const env = { account: config.account, region: config.region };
  const prefix = `Occasions-${config.envName}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    description: `Occasions (${config.envName}): table, queues, event bus, alarm topic, secrets`,
    terminationProtection: config.deletionProtection,
    envName: config.envName,
    deletionProtection: config.deletionProtection,
    removalPolicy: config.removalPolicy,
    maxReceiveCount: config.maxReceiveCount,
    workerTimeout: config.workerTimeout,
    webhookSecretName: config.webhookSecretName,
    adminApiKeySecretName: config.adminApiKeySecretName,
    alarmEmail: config.alarmEmail,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    description: `Occasions (${config.envName}): functions, schedule, admin API, monitoring`,
    envName: config.envName,
    stateful,
    webhookUrl: config.webhookUrl,
    logLevel: config.logLevel,
    workerTimeout: config.workerTimeout,
    workerMaxConcurrency: config.workerMaxConcurrency,
    publishDeliveredEvents: config.publishDeliveredEvents,
    dueShards: config.dueShards,
    apiRateLimit: config.apiRateLimit,
    apiBurstLimit: config.apiBurstLimit,
    wafEnabled: config.wafEnabled,
    wafRateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
    oldestMessageAgeAlarm: config.oldestMessageAgeAlarm,
    schedulerLagAlarm: config.schedulerLagAlarm,
    failureRateAlarmPercent: config.failureRateAlarmPercent,
    circuitOpenAlarm: config.circuitOpenAlarm,
    runbookUrl: config.runbookUrl,
    corsAllowOrigin: config.corsAllowOrigin,
  });

  Tags.of(app).add('project', 'occasions');
  Tags.of(app).add('environment', config.envName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}
