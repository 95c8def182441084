import { BUILT_IN_KEYS, builtInEventType, isBuiltInKey, type EventType } from '#domain/event-type';
import type { EventTypeRepository } from '#ports/event-type-repository';

/**
 * The event types in effect: a stored definition where there is one, else the built-in default
 * (birthday, anniversary, reminder). Without a repository (older wiring, unit tests) only the
 * defaults exist, which is exactly the birthday service as it was.
 *
 * @example
 * const catalog = new EventTypeCatalog(repository, 48);
 * (await catalog.get('birthday'))?.template; // the stored one, or "Hey, {{fullName}} it's your birthday"
 */
export class EventTypeCatalog {
  constructor(
    private readonly repository: EventTypeRepository | undefined,
    /** The deployment's MAX_LATENESS_HOURS: the built-ins' default. */
    private readonly defaultMaxLatenessHours?: number,
  ) {}

  async get(key: string): Promise<EventType | undefined> {
    const stored = await this.repository?.get(key);
    if (stored) return stored;
    return isBuiltInKey(key) ? builtInEventType(key, this.defaultMaxLatenessHours) : undefined;
  }

  /** Built-ins first (stored or default), then custom types by key. */
  async list(): Promise<EventType[]> {
    const stored = (await this.repository?.list()) ?? [];
    const byKey = new Map(stored.map((type) => [type.key, type]));
    const builtIns = BUILT_IN_KEYS.map(
      (key) => byKey.get(key) ?? builtInEventType(key, this.defaultMaxLatenessHours),
    );
    const custom = stored
      .filter((type) => !isBuiltInKey(type.key))
      .sort((a, b) => a.key.localeCompare(b.key));
    return [...builtIns, ...custom];
  }

  /** A lookup that reads each key once: one scheduler pass sees one version of every type. */
  lookup(): (key: string) => Promise<EventType | undefined> {
    const cache = new Map<string, Promise<EventType | undefined>>();
    return (key) => {
      let found = cache.get(key);
      if (!found) {
        found = this.get(key);
        cache.set(key, found);
      }
      return found;
    };
  }
}
