import type { Occurrence, OccurrenceStatus } from '#domain/occurrence';

/** What the notification log is asked for: a due-time window and optional filters. */
export interface OccurrenceLogQuery {
  /** Earliest `scheduledFor` (epoch ms), inclusive. */
  from: number;
  /** Latest `scheduledFor` (epoch ms), exclusive. */
  to: number;
  userId?: string;
  status?: OccurrenceStatus;
  /** The event type's key (`birthday`, …). */
  eventKey?: string;
  /** Most items in the page (1..100). */
  limit: number;
  /** The `nextCursor` of the previous page of the same query. */
  cursor?: string;
}

export interface OccurrenceLogPage {
  /** Newest `scheduledFor` first. */
  items: Occurrence[];
  /**
   * Opaque; `null` once the window has nothing more. A page may hold fewer than `limit` items
   * (even none) and still have a cursor, when a filter dropped most of what one request may read.
   */
  nextCursor: string | null;
}

/**
 * The notification log: occurrences by due time, read through indexes (never a Scan).
 *
 * @example
 * const page = await log.list({ from, to, status: 'failed', limit: 20 });
 * const next = await log.list({ from, to, status: 'failed', limit: 20, cursor: page.nextCursor });
 */
export interface OccurrenceLog {
  /**
   * One page, newest first; each occurrence of the window that matches appears on exactly one
   * page. @throws InvalidCursorError for a cursor not issued for this same query.
   */
  list(query: OccurrenceLogQuery): Promise<OccurrenceLogPage>;
}
