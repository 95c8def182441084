import { DEFAULT_RETRY_POLICY, validateRetryPolicy, type RetryPolicy } from '#domain/retry-policy';
import { DEFAULT_DUE_SHARDS } from '#adapters/dynamodb/table-layout';

/**
 * Configuration of the scheduler and the worker, parsed once at cold start (DESIGN core idea
 * 8): a missing name is an error naming the variable, never a silent default.
 */
export interface PipelineConfig {
  tableName: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  eventBusName: string;
  webhookUrl: string;
  /** Either the secret itself (local runtime) or where to read it (AWS Secrets Manager). */
  webhookSecret: { value: string } | { secretArn: string };
  dueShards: number;
  webhookTimeoutMs: number;
  maxLatenessMs: number;
  retryPolicy: RetryPolicy;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export function pipelineConfigFromEnv(env: Env): PipelineConfig {
  const secretValue = env.WEBHOOK_SECRET?.trim();
  const config: PipelineConfig = {
    tableName: required(env, 'TABLE_NAME'),
    queueUrl: required(env, 'QUEUE_URL'),
    deadLetterQueueUrl: required(env, 'DLQ_URL'),
    eventBusName: required(env, 'EVENT_BUS_NAME'),
    webhookUrl: required(env, 'WEBHOOK_URL'),
    webhookSecret: secretValue ? { value: secretValue } : { secretArn: required(env, 'WEBHOOK_SECRET_ARN') },
    dueShards: positiveInteger(env, 'DUE_SHARDS', DEFAULT_DUE_SHARDS),
    webhookTimeoutMs: positiveInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
    maxLatenessMs: positiveInteger(env, 'MAX_LATENESS_HOURS', 48) * 3_600_000,
    retryPolicy: DEFAULT_RETRY_POLICY,
  };
  const problems = validateRetryPolicy(config.retryPolicy);
  if (problems.length > 0) throw new ConfigError(`retry policy: ${problems.join('; ')}`);
  return config;
}
