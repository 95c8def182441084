import { BUILT_IN_KEYS, builtInEventType, isBuiltInKey, type EventType } from '#domain/event-type';
import type { Clock } from '#commons/clock';
import type { EventTypeRepository } from '#ports/event-type-repository';

/** A clock that never moves: with an endless TTL, what `get` read once is kept (snapshot). */
const STOPPED_CLOCK: Clock = { now: () => 0 };

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
  /** Per key: the read (in flight or done) and when it started, for `cache`. */
  private readonly cached = new Map<string, { found: Promise<EventType | undefined>; readAt: number }>();

  constructor(
    private readonly repository: EventTypeRepository | undefined,
    /** The deployment's MAX_LATENESS_HOURS: the built-ins' default. */
    private readonly defaultMaxLatenessHours?: number,
    /**
     * Reuse what `get` read for `ttlMs` of `clock` (the worker: one read per type every few
     * seconds instead of one per delivery, like the circuit state). A type edit then reaches
     * deliveries up to `ttlMs` later. Concurrent calls share one read; a failed read is not kept.
     */
    private readonly cache?: { clock: Clock; ttlMs: number },
  ) {}

  get(key: string): Promise<EventType | undefined> {
    const { cache } = this;
    if (!cache) return this.read(key);
    const now = cache.clock.now();
    const entry = this.cached.get(key);
    if (entry && now - entry.readAt < cache.ttlMs) return entry.found;
    const found = this.read(key);
    this.cached.set(key, { found, readAt: now });
    found.catch(() => {
      if (this.cached.get(key)?.found === found) this.cached.delete(key);
    });
    return found;
  }

  private async read(key: string): Promise<EventType | undefined> {
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

  /**
   * The same catalog, reading each type once for as long as it is kept: one bulk request
   * schedules all its rows under one version of the birthday type, with one read instead of one
   * per row. Never kept beyond a request (a type edit must reach the next one).
   */
  snapshot(): EventTypeCatalog {
    return new EventTypeCatalog(this.repository, this.defaultMaxLatenessHours, {
      clock: STOPPED_CLOCK,
      ttlMs: Number.POSITIVE_INFINITY,
    });
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
