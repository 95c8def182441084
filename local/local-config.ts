import {
  ConfigError,
  envBoolean,
  envRotatingOut,
  withDefault,
  envWebhookUrlPolicy,
  WEBHOOK_SECRET_PATTERN,
} from '#commons/config';
import type { WebhookUrlPolicy } from '#domain/webhook-url';

/** The environment of `npm start` (CONTRACT section 2), parsed once. */
export interface LocalConfig {
  port: number;
  dataDir: string;
  adminApiKey?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  /**
   * A global secret being rotated out (WEBHOOK_PREVIOUS_SECRET) and the end of its overlap
   * (WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT): until then every message is signed with it too.
   */
  webhookPreviousSecret?: { secret: string; expiresAt: number };
  clockStart?: number;
  clockRate: number;
  tickSeconds: number;
  webhookAllowedHosts: string[];
  /** WEBHOOK_ALLOWED_HOSTS parsed (a malformed entry fails the start); http allowed locally. */
  webhookUrlPolicy: WebhookUrlPolicy;
  dynamodbEndpoint?: string;
  logLevel: string;
  /** Per-API-key throttling of the gateway stand-in, as the deployed stage's (50/s, burst 100). */
  apiRateLimit: number;
  apiBurstLimit: number;
  /** An origin (the console's) allowed by CORS; none when absent. */
  corsAllowOrigin?: string;
  /** PUBLISH_DELIVERED_EVENTS: a `NotificationDelivered` event per delivery, as in AWS (default off). */
  publishDeliveredEvents: boolean;
}

type Env = Record<string, string | undefined>;

const optional = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

function positiveNumber(env: Env, name: string, fallback: number, integer = false): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

export function localConfigFromEnv(env: Env): LocalConfig {
  const clockStartRaw = optional(env, 'CLOCK_START');
  const clockStart = clockStartRaw === undefined ? undefined : Date.parse(clockStartRaw);
  if (clockStart !== undefined && Number.isNaN(clockStart)) {
    throw new ConfigError(`CLOCK_START must be an ISO-8601 instant, got "${clockStartRaw ?? ''}"`);
  }
  const portRaw = optional(env, 'PORT');
  const port = portRaw === undefined ? 3000 : Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`PORT must be a port number, got "${portRaw ?? ''}"`);
  }
  const webhookUrl = optional(env, 'WEBHOOK_URL');
  if (webhookUrl !== undefined && !/^https?:\/\//.test(webhookUrl)) {
    throw new ConfigError(`WEBHOOK_URL must be an http(s) URL, got "${webhookUrl}"`);
  }
  const previous = envRotatingOut('WEBHOOK_PREVIOUS_SECRET', 'WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT')(env);
  if (previous && !WEBHOOK_SECRET_PATTERN.test(previous.value)) {
    throw new ConfigError('WEBHOOK_PREVIOUS_SECRET must be whsec_ followed by base64');
  }
  return {
    port,
    dataDir: optional(env, 'DATA_DIR') ?? '.data',
    adminApiKey: optional(env, 'ADMIN_API_KEY'),
    webhookUrl,
    webhookSecret: optional(env, 'WEBHOOK_SECRET'),
    ...(previous ? { webhookPreviousSecret: { secret: previous.value, expiresAt: previous.expiresAt } } : {}),
    clockStart,
    clockRate: positiveNumber(env, 'CLOCK_RATE', 1),
    tickSeconds: positiveNumber(env, 'TICK_SECONDS', 60),
    webhookAllowedHosts: (optional(env, 'WEBHOOK_ALLOWED_HOSTS') ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
    webhookUrlPolicy: envWebhookUrlPolicy('WEBHOOK_ALLOWED_HOSTS', { requireHttps: false })(env),
    dynamodbEndpoint: optional(env, 'DYNAMODB_ENDPOINT'),
    logLevel: optional(env, 'LOG_LEVEL') ?? 'INFO',
    apiRateLimit: positiveNumber(env, 'API_RATE_LIMIT', 50),
    apiBurstLimit: positiveNumber(env, 'API_BURST_LIMIT', 100, true),
    corsAllowOrigin: optional(env, 'CORS_ALLOW_ORIGIN'),
    publishDeliveredEvents: withDefault(
      envBoolean('PUBLISH_DELIVERED_EVENTS'),
      'PUBLISH_DELIVERED_EVENTS',
      false,
    )(env),
  };
}
