import type { EventType } from '#domain/event-type';

/**
 * Stored event type definitions (`EVENTTYPE#<key>`/`DEFINITION`), listable through the list
 * index. Built-in defaults are not stored: the catalog (use-cases/event-type-catalog.ts) merges
 * them with what is stored here. Every write is one conditional single-item write.
 *
 * @example
 * await repository.put({ ...builtInEventType('birthday'), sendAt: '08:00', version: 1 }, 0);
 */
export interface EventTypeRepository {
  get(key: string): Promise<EventType | undefined>;
  /** Every stored definition, in key order (a few dozen at most: admins create them by hand). */
  list(): Promise<EventType[]>;
  /**
   * Writes `type` if the stored version is still `expectedVersion` (0: nothing stored yet).
   * @returns false when another write got there first (or, for 0, something is stored already).
   */
  put(type: EventType, expectedVersion: number): Promise<boolean>;
  /** Deletes the stored definition if still at `expectedVersion`. @returns false otherwise. */
  delete(key: string, expectedVersion: number): Promise<boolean>;
}
