import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { DEFAULT_DUE_SHARDS } from '../functions/adapters/dynamodb/table-layout';

/**
 * Worker Lambda timeout. The notifications queue's visibility timeout is derived from it
 * ({@link VISIBILITY_TIMEOUT_FACTOR} ×), so both stacks read it from here.
 */
export const DEFAULT_WORKER_TIMEOUT = Duration.seconds(30);

/**
 * AWS recommends a source-queue visibility timeout of at least six times the consumer's timeout,
 * so that a batch retried by the Lambda service (throttles, errors) is not delivered twice.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Everything that differs between deployments of Occasions, parsed once from CDK context. */
export interface EnvironmentConfig {
  /** Short environment name (`dev`, `staging`, `prod`): part of stack and resource names. */
  readonly envName: string;
  /** Target account/region; undefined means an environment-agnostic synth. */
  readonly account?: string;
  readonly region?: string;
  /** The receiver every notification is POSTed to (https only). */
  readonly webhookUrl: string;
  readonly logLevel: LogLevel;
  /** DynamoDB deletion protection and CloudFormation termination protection of the stateful stack. */
  readonly deletionProtection: boolean;
  /** What happens to the table, queues, secrets, key and archive when the stateful stack goes. */
  readonly removalPolicy: RemovalPolicy;
  /** Deliveries to the notifications queue before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  readonly workerTimeout: Duration;
  /** Upper bound of concurrent worker invocations the SQS event source starts (2–1000). */
  readonly workerMaxConcurrency: number;
  /** API Gateway stage throttling: steady-state requests per second and burst. */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Attach an AWS WAFv2 web ACL (rate limit + AWS managed rule groups) to the API stage. */
  readonly wafEnabled: boolean;
  /** Requests per 5 minutes per client IP before WAF blocks it. */
  readonly wafRateLimitPer5Minutes: number;
  /** Alarm when the oldest message on the notifications queue is older than this. */
  readonly oldestMessageAgeAlarm: Duration;
  /** Optional e-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** Use existing Secrets Manager secrets (by name) instead of creating them. */
  readonly webhookSecretName?: string;
  readonly adminApiKeySecretName?: string;
  /** Write shards per day of the due index (functions' DUE_SHARDS). */
  readonly dueShards: number;
  /**
   * The one browser origin (a web console) allowed to call the admin API; undefined = CORS off.
   * Preflight answers, API Gateway's own error answers and the API function (CORS_ALLOW_ORIGIN)
   * all use it.
   */
  readonly corsAllowOrigin?: string;
  /** Where docs/runbook.md is published; every alarm description links `<runbookUrl>#<alarm>`. */
  readonly runbookUrl: string;
  /** Alarm when a scheduler pass starts further behind its watermark than this. */
  readonly schedulerLagAlarm: Duration;
  /** Alarm when more than this share (%) of finished deliveries failed in 15 minutes. */
  readonly failureRateAlarmPercent: number;
  /** Alarm when deliveries keep being short-circuited by an open circuit for this long. */
  readonly circuitOpenAlarm: Duration;
  /**
   * Publish a `NotificationDelivered` event per delivery (the worker's PUBLISH_DELIVERED_EVENTS).
   * Off by default: one event per notification is about a third of its cost; deliveries are
   * recorded on the occurrence and counted by the `Delivered` metric anyway.
   */
  readonly publishDeliveredEvents: boolean;
}

/** The runbook in the repository; set context `runbookUrl` to where your fork publishes it. */
export const DEFAULT_RUNBOOK_URL = 'docs/runbook.md';

/**
 * Reads the configuration of the environment named by context `env` (default `dev`).
 *
 * Values come, lowest precedence first, from the built-in defaults, an optional context object
 * `occasions:<env>` (e.g. in cdk.json or cdk.context.json) and flat context keys
 * (`cdk synth -c env=prod -c webhookUrl=https://…`). Incoherent values throw at synth.
 *
 * @example
 * const config = loadConfig(app.node);
 * buildOccasions(app, config);
 */
export function loadConfig(node: Node): EnvironmentConfig {
  const envName = stringValue(node.tryGetContext('env'), 'env') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(envName)) {
    throw new Error(`context env must be lower-case letters, digits and dashes (max 16), got "${envName}"`);
  }
  const scoped = objectValue(node.tryGetContext(`occasions:${envName}`), `occasions:${envName}`);
  const read = (key: string): unknown => node.tryGetContext(key) ?? scoped[key];
  const isDev = envName === 'dev';

  const webhookUrl =
    stringValue(read('webhookUrl'), 'webhookUrl') ??
    (isDev ? 'https://example.com/occasions-webhook' : undefined);
  if (webhookUrl === undefined) {
    throw new Error(`context webhookUrl is required for env "${envName}" (-c webhookUrl=https://…)`);
  }
  if (!URL.canParse(webhookUrl) || new URL(webhookUrl).protocol !== 'https:') {
    throw new Error(`context webhookUrl must be an https URL, got "${webhookUrl}"`);
  }

  const logLevel = (stringValue(read('logLevel'), 'logLevel') ?? (isDev ? 'DEBUG' : 'INFO')).toUpperCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`context logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const retainData = booleanValue(read('retainData'), 'retainData') ?? true;
  const apiRateLimit = numberValue(read('apiRateLimit'), 'apiRateLimit', 1, 10_000) ?? 50;
  const apiBurstLimit = numberValue(read('apiBurstLimit'), 'apiBurstLimit', 1, 5_000) ?? 100;
  if (apiBurstLimit < apiRateLimit) {
    throw new Error(`apiBurstLimit (${apiBurstLimit}) must be at least apiRateLimit (${apiRateLimit})`);
  }

  return {
    envName,
    account: stringValue(read('account'), 'account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: stringValue(read('region'), 'region') ?? process.env.CDK_DEFAULT_REGION,
    webhookUrl,
    logLevel: logLevel as LogLevel,
    deletionProtection: booleanValue(read('deletionProtection'), 'deletionProtection') ?? !isDev,
    removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    maxReceiveCount: numberValue(read('maxReceiveCount'), 'maxReceiveCount', 1, 1000) ?? 5,
    workerTimeout: Duration.seconds(
      numberValue(read('workerTimeoutSeconds'), 'workerTimeoutSeconds', 5, 900) ??
        DEFAULT_WORKER_TIMEOUT.toSeconds(),
    ),
    workerMaxConcurrency: numberValue(read('workerMaxConcurrency'), 'workerMaxConcurrency', 2, 1000) ?? 20,
    apiRateLimit,
    apiBurstLimit,
    wafEnabled: booleanValue(read('wafEnabled'), 'wafEnabled') ?? true,
    wafRateLimitPer5Minutes:
      numberValue(read('wafRateLimitPer5Minutes'), 'wafRateLimitPer5Minutes', 10, 2_000_000_000) ?? 1000,
    oldestMessageAgeAlarm: Duration.seconds(
      numberValue(read('oldestMessageAgeAlarmSeconds'), 'oldestMessageAgeAlarmSeconds', 60, 1_209_600) ?? 900,
    ),
    alarmEmail: stringValue(read('alarmEmail'), 'alarmEmail'),
    webhookSecretName: stringValue(read('webhookSecretName'), 'webhookSecretName'),
    adminApiKeySecretName: stringValue(read('adminApiKeySecretName'), 'adminApiKeySecretName'),
    dueShards: numberValue(read('dueShards'), 'dueShards', 1, 100) ?? DEFAULT_DUE_SHARDS,
    corsAllowOrigin: originValue(read('corsAllowOrigin'), 'corsAllowOrigin'),
    runbookUrl: stringValue(read('runbookUrl'), 'runbookUrl') ?? DEFAULT_RUNBOOK_URL,
    schedulerLagAlarm: Duration.seconds(
      numberValue(read('schedulerLagAlarmSeconds'), 'schedulerLagAlarmSeconds', 120, 86_400) ?? 300,
    ),
    failureRateAlarmPercent:
      numberValue(read('failureRateAlarmPercent'), 'failureRateAlarmPercent', 1, 100) ?? 10,
    circuitOpenAlarm: Duration.minutes(
      numberValue(read('circuitOpenAlarmMinutes'), 'circuitOpenAlarmMinutes', 5, 1440) ?? 15,
    ),
    publishDeliveredEvents: booleanValue(read('publishDeliveredEvents'), 'publishDeliveredEvents') ?? false,
  };
}

/** An exact browser origin (`https://console.example.com`): no path, no wildcard. */
function originValue(value: unknown, key: string): string | undefined {
  const origin = stringValue(value, key);
  if (origin === undefined) return undefined;
  if (!URL.canParse(origin) || new URL(origin).origin !== origin || !origin.startsWith('https://')) {
    throw new Error(
      `context ${key} must be one https origin such as https://console.example.com, got "${origin}"`,
    );
  }
  return origin;
}

function objectValue(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw new Error(`context ${key} must be an object`);
}

function stringValue(value: unknown, key: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new Error(`context ${key} must be a string`);
}

/** Context from `-c key=value` arrives as a string; from cdk.json as a JSON value. */
function booleanValue(value: unknown, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false`);
}

function numberValue(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`context ${key} must be an integer between ${min} and ${max}`);
  }
  return parsed;
}
