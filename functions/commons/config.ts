/**
 * Configuration parsed once at cold start into a typed object (DESIGN core idea 8). A missing or
 * malformed variable is an error at start that names the variable, never a silent default that
 * surfaces later as a wrong table or a lost shard.
 *
 * @example
 * const config = parseConfig({ tableName: envString('TABLE_NAME') }, process.env);
 * config.tableName; // string
 */
import { FUNCTION_ROLES, type FunctionRole } from '#commons/dashboard-widgets';
import { parseAllowedHosts } from '#domain/allowed-hosts';
import type { WebhookUrlPolicy } from '#domain/webhook-url';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads one variable; throws a message naming it when it is missing or malformed. */
export type EnvReader<T> = (env: Env) => T;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const envString =
  (name: string): EnvReader<string> =>
  (env) => {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(`${name} is required`);
    return value;
  };

export const envInteger =
  (name: string, bounds: { min: number; max: number }): EnvReader<number> =>
  (env) => {
    const raw = envString(name)(env);
    const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
      throw new ConfigError(`${name} must be an integer in ${bounds.min}..${bounds.max}, got "${raw}"`);
    }
    return value;
  };

/** `true` or `false` (nothing else: a typo must not silently mean either). */
export const envBoolean =
  (name: string): EnvReader<boolean> =>
  (env) => {
    const raw = envString(name)(env).toLowerCase();
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  };

export type ConfigOf<S extends Record<string, EnvReader<unknown>>> = {
  readonly [K in keyof S]: ReturnType<S[K]>;
};

/** Reads every variable of `spec` and reports all problems at once, each naming its variable. */
export function parseConfig<S extends Record<string, EnvReader<unknown>>>(spec: S, env: Env): ConfigOf<S> {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, read] of Object.entries(spec)) {
    try {
      config[key] = read(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config as ConfigOf<S>;
}

/** A variable that may be left out, with the default it then takes. */
export const withDefault =
  <T>(read: EnvReader<T>, name: string, fallback: T): EnvReader<T> =>
  (env) =>
    env[name]?.trim() ? read(env) : fallback;

/**
 * The SSRF guard's policy (docs/security.md): `name` holds the comma-separated `host[:port]` or
 * CIDR entries of `WEBHOOK_ALLOWED_HOSTS`; absent, nothing private is allowed. A malformed entry
 * is an error at start that names it.
 */
export const envWebhookUrlPolicy =
  (name: string, options: { requireHttps: boolean }): EnvReader<WebhookUrlPolicy> =>
  (env) => {
    const parsed = parseAllowedHosts(env[name] ?? '');
    if (!parsed.ok) throw new ConfigError(`${name}: ${parsed.problem}`);
    return { requireHttps: options.requireHttps, allowed: parsed.value };
  };

/** `role=name` pairs, comma-separated, for the dashboard's Lambda widgets. */
export const envFunctionNames =
  (name: string): EnvReader<Partial<Record<FunctionRole, string>>> =>
  (env) => {
    const names: Partial<Record<FunctionRole, string>> = {};
    for (const pair of envString(name)(env).split(',')) {
      const [role, functionName] = pair.split('=').map((part) => part.trim());
      const known = FUNCTION_ROLES.find((candidate) => candidate === role);
      if (!known || !functionName) {
        throw new ConfigError(
          `${name}: "${pair}" is not role=name with a role of ${FUNCTION_ROLES.join(', ')}`,
        );
      }
      names[known] = functionName;
    }
    return names;
  };

/** A secret being rotated out and the end of its overlap (epoch ms). */
export interface RotatingOut {
  value: string;
  expiresAt: number;
}

/**
 * A secret being rotated out: `valueName` holds it (or its ARN), `expiresName` the ISO-8601
 * instant its overlap ends. Both or neither (neither: no rotation under way); one without the
 * other, or an instant that is not one, is an error at start naming them.
 */
export const envRotatingOut =
  (valueName: string, expiresName: string): EnvReader<RotatingOut | undefined> =>
  (env) => {
    const value = env[valueName]?.trim();
    const expires = env[expiresName]?.trim();
    if (!value && !expires) return undefined;
    if (!value) throw new ConfigError(`${expiresName} is set but ${valueName} is not: set both or neither`);
    if (!expires) {
      throw new ConfigError(`${valueName} needs ${expiresName}, the ISO-8601 instant its overlap ends`);
    }
    const expiresAt = /^\d{4}-\d{2}-\d{2}T/.test(expires) ? Date.parse(expires) : Number.NaN;
    if (Number.isNaN(expiresAt)) {
      throw new ConfigError(
        `${expiresName} must be an ISO-8601 instant such as 2027-06-15T09:00:00Z, got "${expires}"`,
      );
    }
    return { value, expiresAt };
  };

/** `whsec_` + base64, the form of every Standard Webhooks secret this service signs with. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * Every function that touches the table. DUE_SHARDS has no default on purpose: the scheduler
 * reads shards 0..DUE_SHARDS-1, so an API writing with another count would hide users from it.
 */
const tableSpec = {
  tableName: envString('TABLE_NAME'),
  dueShards: envInteger('DUE_SHARDS', { min: 1, max: 1000 }),
};

/** The admin API function. */
export const apiConfigSpec = {
  ...tableSpec,
  /** The DLQ routes redrive to the notifications queue and read the dead-letter queue. */
  queueUrl: envString('QUEUE_URL'),
  deadLetterQueueUrl: envString('DLQ_URL'),
  /**
   * Where an admin's circuit reset or force-open is announced (CircuitOpened/CircuitClosed);
   * without it the change is still logged and counted, not published.
   */
  eventBusName: withDefault<string | undefined>(envString('EVENT_BUS_NAME'), 'EVENT_BUS_NAME', undefined),
  /** Per-key throttling, the same figures as the stage's (lib/config.ts apiRateLimit/apiBurstLimit). */
  apiRateLimit: withDefault(envInteger('API_RATE_LIMIT', { min: 1, max: 10_000 }), 'API_RATE_LIMIT', 50),
  apiBurstLimit: withDefault(envInteger('API_BURST_LIMIT', { min: 1, max: 5_000 }), 'API_BURST_LIMIT', 100),
  /** The console's origin, allowed by CORS; none when absent. */
  corsAllowOrigin: withDefault<string | undefined>(
    envString('CORS_ALLOW_ORIGIN'),
    'CORS_ALLOW_ORIGIN',
    undefined,
  ),
  /**
   * The replay Lambda, invoked asynchronously by POST /v1/replays. Set by the stack; absent (a
   * test, a stack without it), replay jobs run inside the API process instead.
   */
  replayFunctionName: withDefault<string | undefined>(
    envString('REPLAY_FUNCTION_NAME'),
    'REPLAY_FUNCTION_NAME',
    undefined,
  ),
  /**
   * What `GET /v1/metrics` reads from CloudWatch: the functions by role
   * (`scheduler=<name>,worker=<name>,…`) and the REST API's name. Set by the stack; absent, the
   * Lambda and API widgets answer `available: false` and the rest still work.
   */
  dashboardFunctionNames: withDefault(
    envFunctionNames('DASHBOARD_FUNCTION_NAMES'),
    'DASHBOARD_FUNCTION_NAMES',
    {},
  ),
  apiName: withDefault<string | undefined>(envString('API_NAME'), 'API_NAME', undefined),
};
export type ApiConfig = ConfigOf<typeof apiConfigSpec>;

/** The scheduler: reads the due index, sends to the queue, announces skipped occurrences. */
export const schedulerConfigSpec = {
  ...tableSpec,
  queueUrl: envString('QUEUE_URL'),
  eventBusName: envString('EVENT_BUS_NAME'),
  maxLatenessHours: withDefault(
    envInteger('MAX_LATENESS_HOURS', { min: 1, max: 24 * 366 }),
    'MAX_LATENESS_HOURS',
    48,
  ),
};
export type SchedulerConfig = ConfigOf<typeof schedulerConfigSpec>;

/** The worker: delivers, re-delays through the queue, parks failures in the DLQ. */
export const workerConfigSpec = {
  ...tableSpec,
  queueUrl: envString('QUEUE_URL'),
  deadLetterQueueUrl: envString('DLQ_URL'),
  eventBusName: envString('EVENT_BUS_NAME'),
  webhookUrl: envString('WEBHOOK_URL'),
  /** Secrets Manager holds the signing secret; its value never sits in the environment. */
  webhookSecretArn: envString('WEBHOOK_SECRET_ARN'),
  /**
   * Optional, during a rotation of the global secret (docs/security.md): the secret being
   * rotated out (its ARN) and the instant its overlap ends; until then it signs every message too.
   */
  webhookPreviousSecret: envRotatingOut('WEBHOOK_PREVIOUS_SECRET_ARN', 'WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT'),
  webhookTimeoutMs: withDefault(
    envInteger('WEBHOOK_TIMEOUT_MS', { min: 100, max: 60_000 }),
    'WEBHOOK_TIMEOUT_MS',
    10_000,
  ),
  /** In AWS only https; WEBHOOK_URL itself is trusted and not subject to it. */
  webhookUrlPolicy: envWebhookUrlPolicy('WEBHOOK_ALLOWED_HOSTS', { requireHttps: true }),
  /**
   * Publish a `NotificationDelivered` event per delivery (1 EventBridge event each: about a
   * third of the cost per notification). Off by default: the delivery is recorded on the
   * occurrence and counted by the `Delivered` metric; failures, skips, cancellations and
   * circuit changes are always published.
   */
  publishDeliveredEvents: withDefault(
    envBoolean('PUBLISH_DELIVERED_EVENTS'),
    'PUBLISH_DELIVERED_EVENTS',
    false,
  ),
};
export type WorkerConfig = ConfigOf<typeof workerConfigSpec>;

/** The replay Lambda: reads the log, requeues, and re-invokes itself when its time runs low. */
export const replayConfigSpec = {
  ...tableSpec,
  queueUrl: envString('QUEUE_URL'),
  /** Set by the Lambda runtime itself: a job short of time continues in a fresh invocation. */
  functionName: envString('AWS_LAMBDA_FUNCTION_NAME'),
};
export type ReplayConfig = ConfigOf<typeof replayConfigSpec>;

/** The API Gateway authorizer: the bootstrap admin key lives in Secrets Manager. */
export const authorizerConfigSpec = {
  adminApiKeySecretArn: envString('ADMIN_API_KEY_SECRET_ARN'),
  /** Stored API keys (hashed) are read by id from the table. */
  tableName: envString('TABLE_NAME'),
};
export type AuthorizerConfig = ConfigOf<typeof authorizerConfigSpec>;
