import { randomBytes } from 'node:crypto';
import { isoOf, type Clock } from '#commons/clock';
import { AlreadyExistsError, ConflictError, NotFoundError, VersionMismatchError } from '#commons/errors';
import {
  EVENT_TYPE_KEY_PATTERN,
  isBuiltInKey,
  rotatedSecrets,
  type EventType,
  type EventTypeDefinition,
} from '#domain/event-type';
import { validateTemplate } from '#domain/template';
import { checkWebhookUrl, STRICT_WEBHOOK_URL_POLICY, type WebhookUrlPolicy } from '#domain/webhook-url';
import type { EventTypeRepository } from '#ports/event-type-repository';
import type { UserEventRepository } from '#ports/user-event-repository';
import { EventModelError, invalidField } from './event-model-errors';
import type { EventTypeCatalog } from './event-type-catalog';

/** A change of a type: every field may be given; `webhookUrl: null` removes the type's own webhook. */
export type EventTypeChanges = Partial<Omit<EventTypeDefinition, 'webhookUrl'>> & {
  webhookUrl?: string | null;
};

/** A type as written, with the secret in clear exactly when this write generated it. */
export interface SavedEventType {
  type: EventType;
  /** The new `whsec_` secret of the type's own webhook: shown once, never again. */
  newSecret?: string;
}

const MAX_ATTEMPTS = 3;

/**
 * The admin's event type operations. Built-ins always exist (a stored definition overrides the
 * default, and they cannot be deleted); custom types are created, changed and deleted here, each
 * change one conditional write on the type's item. Changes reach notifications not yet sent
 * through the scheduler and the worker, which read the type afresh (ADR 0006).
 */
export class ManageEventTypes {
  private readonly newSecret: () => string;
  private readonly policy: WebhookUrlPolicy;

  constructor(
    private readonly deps: {
      repository: EventTypeRepository;
      catalog: EventTypeCatalog;
      userEvents: UserEventRepository;
      clock: Clock;
      /** The SSRF rules a type's webhook URL must follow (WEBHOOK_ALLOWED_HOSTS; https in AWS). */
      webhookUrlPolicy?: WebhookUrlPolicy;
      newSecret?: () => string;
    },
  ) {
    this.newSecret = deps.newSecret ?? (() => `whsec_${randomBytes(32).toString('base64')}`);
    this.policy = deps.webhookUrlPolicy ?? STRICT_WEBHOOK_URL_POLICY;
  }

  list(): Promise<EventType[]> {
    return this.deps.catalog.list();
  }

  /** @throws NotFoundError */
  async get(key: string): Promise<EventType> {
    const type = await this.deps.catalog.get(key);
    if (!type) throw new NotFoundError('event type', key);
    return type;
  }

  /** @throws EventModelError (400), AlreadyExistsError (409) */
  async create(key: string, definition: EventTypeDefinition): Promise<SavedEventType> {
    if (!EVENT_TYPE_KEY_PATTERN.test(key)) {
      throw invalidField(
        'key',
        'key must be lower-case letters, digits, - or _, starting with a letter (1-40)',
      );
    }
    if (isBuiltInKey(key))
      throw new AlreadyExistsError(`event type ${key} is built in; change it with PUT or PATCH`);
    this.check(definition);
    const now = isoOf(this.deps.clock.now());
    const newSecret = definition.webhookUrl === undefined ? undefined : this.newSecret();
    const type: EventType = {
      key,
      builtIn: false,
      ...definitionOf(definition),
      ...(newSecret === undefined ? {} : { webhookSecret: newSecret }),
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    if (!(await this.deps.repository.put(type, 0)))
      throw new AlreadyExistsError(`event type ${key} already exists`);
    return { type, ...(newSecret === undefined ? {} : { newSecret }) };
  }

  /** PUT: the whole definition. @throws NotFoundError, EventModelError, VersionMismatchError, ConflictError */
  replace(
    key: string,
    definition: Omit<EventTypeDefinition, 'recurrence'> & { recurrence?: EventTypeDefinition['recurrence'] },
    expectedVersion?: number,
  ): Promise<SavedEventType> {
    return this.edit(
      key,
      () => ({ ...definition, webhookUrl: definition.webhookUrl ?? null }),
      expectedVersion,
    );
  }

  /** PATCH: any subset. @throws NotFoundError, EventModelError, VersionMismatchError, ConflictError */
  patch(key: string, changes: EventTypeChanges, expectedVersion?: number): Promise<SavedEventType> {
    return this.edit(key, () => changes, expectedVersion);
  }

  /**
   * Built-ins cannot be deleted (422); a custom type some user has an event of cannot either
   * (409: delete the events first). A DELETE racing with a POST of an event may still leave that
   * event without its type: the scheduler then drops it and the worker cancels what was queued.
   * @throws NotFoundError, EventModelError, VersionMismatchError
   */
  async delete(key: string, expectedVersion?: number): Promise<EventType> {
    if (isBuiltInKey(key)) {
      throw new EventModelError(
        'unprocessable',
        `The built-in event type ${key} cannot be deleted; disable it instead.`,
        [{ path: 'key', message: `${key} is built in` }],
      );
    }
    const current = await this.deps.repository.get(key);
    if (!current) throw new NotFoundError('event type', key);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new VersionMismatchError('event type', expectedVersion, current.version);
    }
    if (await this.deps.userEvents.hasEventsOfType(key)) {
      throw new EventModelError(
        'conflict',
        `Users still have events of type ${key}; delete those events first (or disable the type).`,
      );
    }
    if (!(await this.deps.repository.delete(key, current.version))) {
      throw new ConflictError(`event type ${key} changed while being deleted`);
    }
    return current;
  }

  /**
   * A new secret for the type's own webhook, answered once; the current one keeps signing too for
   * `overlapHours` (Standard Webhooks: both signatures on every message meanwhile), so receivers
   * can switch at their own pace. Only for a type with a webhook of its own (409 otherwise: the
   * global secret is the deployment's, WEBHOOK_SECRET / WEBHOOK_PREVIOUS_SECRET).
   * @throws NotFoundError, EventModelError (409), VersionMismatchError, ConflictError
   */
  async rotateSecret(
    key: string,
    overlapHours: number,
    expectedVersion?: number,
  ): Promise<SavedEventType & { before: EventType; newSecret: string; overlapEndsAt: number }> {
    const current = await this.get(key);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new VersionMismatchError('event type', expectedVersion, current.version);
    }
    if (current.webhookUrl === undefined || current.webhookSecret === undefined) {
      throw new EventModelError(
        'conflict',
        `The event type ${key} has no webhook of its own, so no secret of its own to rotate; its notifications are signed with the deployment's WEBHOOK_SECRET (see docs/security.md).`,
      );
    }
    const now = this.deps.clock.now();
    const newSecret = this.newSecret();
    const overlapMs = overlapHours * 3_600_000;
    const next: EventType = {
      ...current,
      ...rotatedSecrets(current, newSecret, now, overlapMs),
      updatedAt: isoOf(now),
      version: current.version + 1,
    };
    if (!(await this.deps.repository.put(next, current.version))) {
      const stored = await this.deps.repository.get(key);
      if (expectedVersion !== undefined && stored) {
        throw new VersionMismatchError('event type', expectedVersion, stored.version);
      }
      throw new ConflictError(`event type ${key} changed while its secret was rotated`);
    }
    return { type: next, before: current, newSecret, overlapEndsAt: now + overlapMs };
  }

  private async edit(
    key: string,
    changesOf: () => EventTypeChanges,
    expectedVersion: number | undefined,
  ): Promise<SavedEventType> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(key);
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw new VersionMismatchError('event type', expectedVersion, current.version);
      }
      const changes = changesOf();
      if (changes.recurrence !== undefined && changes.recurrence !== current.recurrence) {
        throw invalidField(
          'recurrence',
          `recurrence cannot change (${key} is ${current.recurrence}); create another type`,
        );
      }
      const { webhookUrl: requestedUrl, ...rest } = changes;
      const webhookUrl = requestedUrl === undefined ? current.webhookUrl : (requestedUrl ?? undefined);
      const definition: EventTypeDefinition = {
        ...definitionOf(current),
        // Only the fields given: an absent (or undefined) one keeps its current value.
        ...(definedOnly(rest) as Partial<EventTypeDefinition>),
        ...(webhookUrl === undefined ? {} : { webhookUrl }),
      };
      if (webhookUrl === undefined) delete definition.webhookUrl;
      this.check(definition);
      // A type that gains a webhook of its own gets a secret of its own; changing the URL keeps it.
      const newSecret =
        webhookUrl !== undefined && current.webhookSecret === undefined ? this.newSecret() : undefined;
      const webhookSecret = webhookUrl === undefined ? undefined : (newSecret ?? current.webhookSecret);
      const now = isoOf(this.deps.clock.now());
      // A rotation's overlap outlives edits of the type, but not the removal of its webhook.
      const previousWebhookSecrets = webhookSecret === undefined ? undefined : current.previousWebhookSecrets;
      const next: EventType = {
        key,
        builtIn: current.builtIn,
        ...definition,
        ...(webhookSecret === undefined ? {} : { webhookSecret }),
        ...(previousWebhookSecrets?.length ? { previousWebhookSecrets } : {}),
        createdAt: current.createdAt ?? now,
        updatedAt: now,
        version: current.version + 1,
      };
      if (await this.deps.repository.put(next, current.version)) {
        return { type: next, ...(newSecret === undefined ? {} : { newSecret }) };
      }
      if (attempt >= MAX_ATTEMPTS || expectedVersion !== undefined) {
        const stored = await this.deps.repository.get(key);
        if (!stored && !current.builtIn) throw new NotFoundError('event type', key);
        if (expectedVersion !== undefined && stored) {
          throw new VersionMismatchError('event type', expectedVersion, stored.version);
        }
        throw new ConflictError(`event type ${key} kept changing`);
      }
    }
  }

  /** The rules beyond the shape (which the API schema checks): template and webhook URL. */
  private check(definition: EventTypeDefinition): void {
    const template = validateTemplate(definition.template);
    if (!template.ok) throw invalidField('template', template.message);
    if (definition.webhookUrl !== undefined) {
      const url = checkWebhookUrl(definition.webhookUrl, this.policy);
      if (!url.ok) throw invalidField('webhookUrl', url.problem);
    }
  }
}

function definitionOf(type: EventTypeDefinition): EventTypeDefinition {
  return {
    template: type.template,
    sendAt: type.sendAt,
    leapDay: type.leapDay,
    maxLatenessHours: type.maxLatenessHours,
    enabled: type.enabled,
    recurrence: type.recurrence,
    ...(type.webhookUrl === undefined ? {} : { webhookUrl: type.webhookUrl }),
  };
}

/** Drops keys whose value is undefined (an optional field a parser left in as undefined). */
function definedOnly(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
