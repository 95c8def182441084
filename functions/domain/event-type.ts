/**
 * Event types: what kind of dated event an occurrence is of, and how it is announced (message
 * template, local send time, 29 February policy, maximum lateness, on/off, own webhook).
 *
 * `birthday`, `anniversary` and `reminder` always exist: their defaults live here, in code, and an
 * admin's stored definition overrides them (version 0 means "the default, never stored"). Custom
 * types exist only as stored items. See docs/adr/0006-event-model.md.
 *
 * @example
 * const birthday = builtInEventType('birthday', 48);
 * birthday.template; // "Hey, {{fullName}} it's your birthday"
 */
import type { LeapDayPolicy } from '#domain/schedule';
import { BIRTHDAY_TEMPLATE } from '#domain/template';

/** `yearly`: every anniversary of the date (from the first one on); `once`: on the date itself. */
export type Recurrence = 'yearly' | 'once';

export const BUILT_IN_KEYS = ['birthday', 'anniversary', 'reminder'] as const;
export type BuiltInKey = (typeof BUILT_IN_KEYS)[number];

/** The local time every type sends at unless it (or the user) says otherwise. */
export const DEFAULT_SEND_AT = '09:00';
export const DEFAULT_MAX_LATENESS_HOURS = 48;

/** Lower-case, starts with a letter; it travels as the webhook's `type` and in ids. */
export const EVENT_TYPE_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;

/** What an admin says about a type (the body of PUT /v1/event-types/{key}). */
export interface EventTypeDefinition {
  template: string;
  /** Local wall time `HH:MM`. */
  sendAt: string;
  leapDay: LeapDayPolicy;
  maxLatenessHours: number;
  enabled: boolean;
  recurrence: Recurrence;
  /** Where this type's notifications go instead of the global WEBHOOK_URL. */
  webhookUrl?: string;
}

/** A secret being rotated out: messages are also signed with it until `expiresAt` (epoch ms). */
export interface PreviousWebhookSecret {
  secret: string;
  expiresAt: number;
}

/** Longest and default overlap of a secret rotation (POST /v1/event-types/{key}/rotate-secret). */
export const MAX_ROTATION_OVERLAP_HOURS = 168;
export const DEFAULT_ROTATION_OVERLAP_HOURS = 24;
/** Secrets kept signing at once beyond the current one: rotating again within an overlap keeps the older. */
const MAX_PREVIOUS_SECRETS = 3;

export interface EventType extends EventTypeDefinition {
  key: string;
  builtIn: boolean;
  /** `whsec_…`, set exactly when `webhookUrl` is; shown once, when generated. */
  webhookSecret?: string;
  /**
   * Secrets replaced by a rotation, newest first, each still signing until its `expiresAt`;
   * dropped with the webhook. Never shown by the API.
   */
  previousWebhookSecrets?: readonly PreviousWebhookSecret[];
  /** Absent on a built-in's default that was never stored. */
  createdAt?: string;
  updatedAt?: string;
  /** 0 for a built-in default that was never stored; 1 on the first stored write. */
  version: number;
}

const BUILT_IN_DEFINITIONS: Readonly<Record<BuiltInKey, Omit<EventTypeDefinition, 'maxLatenessHours'>>> = {
  birthday: {
    template: BIRTHDAY_TEMPLATE,
    sendAt: DEFAULT_SEND_AT,
    leapDay: 'feb28',
    enabled: true,
    recurrence: 'yearly',
  },
  anniversary: {
    template: 'Happy anniversary, {{fullName}}: {{years}} years today',
    sendAt: DEFAULT_SEND_AT,
    leapDay: 'feb28',
    enabled: true,
    recurrence: 'yearly',
  },
  reminder: {
    template: 'Reminder for {{fullName}}: {{date}}',
    sendAt: DEFAULT_SEND_AT,
    leapDay: 'feb28',
    enabled: true,
    recurrence: 'once',
  },
};

export const isBuiltInKey = (key: string): key is BuiltInKey =>
  (BUILT_IN_KEYS as readonly string[]).includes(key);

/**
 * A built-in type as it is until an admin stores a definition of it. Its maximum lateness is the
 * deployment's (MAX_LATENESS_HOURS), so the birthday behaves as it did before types existed.
 */
export function builtInEventType(key: BuiltInKey, maxLatenessHours = DEFAULT_MAX_LATENESS_HOURS): EventType {
  return { key, builtIn: true, ...BUILT_IN_DEFINITIONS[key], maxLatenessHours, version: 0 };
}

/** What the scheduler needs of a type to place an occurrence in time. */
export type TimingOf = Pick<EventType, 'sendAt' | 'leapDay' | 'recurrence'>;

/** The send time that applies: the user's own, else the type's (which defaults to 09:00). */
export const effectiveSendAt = (type: Pick<EventType, 'sendAt'>, userSendAt?: string): string =>
  userSendAt ?? type.sendAt;

/** Where a notification goes and what signs it. */
export interface WebhookTarget {
  url: string;
  secret: string;
  /** Secrets being rotated out, still signing until their `expiresAt`. */
  previousSecrets?: readonly PreviousWebhookSecret[];
}

/** The webhook a type's notifications go to: its own (with its own secrets) or the global one. */
export function webhookTargetOf(
  type: Pick<EventType, 'webhookUrl' | 'webhookSecret' | 'previousWebhookSecrets'>,
  fallback: WebhookTarget,
): WebhookTarget {
  if (type.webhookUrl === undefined || type.webhookSecret === undefined) return fallback;
  return {
    url: type.webhookUrl,
    secret: type.webhookSecret,
    ...(type.previousWebhookSecrets?.length ? { previousSecrets: type.previousWebhookSecrets } : {}),
  };
}

/**
 * A type's webhook secret rotated: `newSecret` signs from now on, the current one keeps signing
 * too until `now + overlapMs` (Standard Webhooks allows several signatures), and earlier
 * secrets still inside their own overlap stay until theirs ends.
 */
export function rotatedSecrets(
  type: Pick<EventType, 'webhookSecret' | 'previousWebhookSecrets'>,
  newSecret: string,
  now: number,
  overlapMs: number,
): { webhookSecret: string; previousWebhookSecrets: PreviousWebhookSecret[] } {
  const current =
    type.webhookSecret === undefined ? [] : [{ secret: type.webhookSecret, expiresAt: now + overlapMs }];
  const stillSigning = (type.previousWebhookSecrets ?? []).filter(
    (previous) => previous.expiresAt > now && previous.secret !== type.webhookSecret,
  );
  return {
    webhookSecret: newSecret,
    previousWebhookSecrets: [...current, ...stillSigning].slice(0, MAX_PREVIOUS_SECRETS),
  };
}
