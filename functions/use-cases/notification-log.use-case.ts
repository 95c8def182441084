import type { Clock } from '#commons/clock';
import { NotFoundError } from '#commons/errors';
import type { AttemptRecord, Occurrence, OccurrenceStatus } from '#domain/occurrence';
import type { OccurrenceLog, OccurrenceLogPage } from '#ports/occurrence-log';
import type { OccurrenceRepository } from '#ports/occurrence-repository';

/** The widest due-time window one listing may cover (13 UTC months of index partitions at most). */
export const MAX_LOG_WINDOW_DAYS = 366;
/** The window when the caller gives one bound or none. */
export const DEFAULT_LOG_WINDOW_DAYS = 31;

const DAY_MS = 86_400_000;

export interface NotificationFilter {
  /** Epoch ms, inclusive; default `to` minus 31 days. */
  from?: number;
  /** Epoch ms, exclusive; default `from` plus 31 days, or one day from now without `from`. */
  to?: number;
  status?: OccurrenceStatus;
  eventKey?: string;
  userId?: string;
  limit: number;
  cursor?: string;
}

export interface NotificationWithAttempts {
  occurrence: Occurrence;
  attempts: AttemptRecord[];
}

/**
 * What an on-call engineer asks the notification log: which notifications match, and what
 * happened to one of them (every attempt).
 */
export class ViewNotifications {
  constructor(
    private readonly deps: {
      log: OccurrenceLog;
      occurrences: Pick<OccurrenceRepository, 'get' | 'listAttempts'>;
      clock: Clock;
    },
  ) {}

  /**
   * Newest due first. Without a window, the last 31 days up to a day from now (so today's
   * pending ones show). @throws InvalidCursorError, RangeError for a window over 366 days
   */
  async list(filter: NotificationFilter): Promise<OccurrenceLogPage> {
    // Without any window, "a day from now" moves with the clock between pages, and a cursor
    // belongs to one window: the first page's `to` travels in front of its cursor
    // (`<to>~<cursor>`), so every page of one listing uses the same window. A changed `to` fails
    // the cursor's own digest (400), as any other tampering does.
    const anchored = filter.to === undefined && filter.from === undefined;
    const { anchor, cursor } = anchored
      ? splitAnchor(filter.cursor)
      : { anchor: undefined, cursor: filter.cursor };
    const to =
      filter.to ??
      (filter.from === undefined
        ? (anchor ?? this.deps.clock.now() + DAY_MS)
        : filter.from + DEFAULT_LOG_WINDOW_DAYS * DAY_MS);
    const from = filter.from ?? to - DEFAULT_LOG_WINDOW_DAYS * DAY_MS;
    if (!(from < to) || to - from > MAX_LOG_WINDOW_DAYS * DAY_MS) {
      throw new RangeError(`the window must be non-empty and at most ${MAX_LOG_WINDOW_DAYS} days`);
    }
    const page = await this.deps.log.list({
      from,
      to,
      limit: filter.limit,
      ...(filter.status === undefined ? {} : { status: filter.status }),
      ...(filter.eventKey === undefined ? {} : { eventKey: filter.eventKey }),
      ...(filter.userId === undefined ? {} : { userId: filter.userId }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return anchored && page.nextCursor !== null ? { ...page, nextCursor: `${to}~${page.nextCursor}` } : page;
  }

  /** @throws NotFoundError */
  async get(id: string): Promise<NotificationWithAttempts> {
    const occurrence = await this.deps.occurrences.get(id);
    if (!occurrence) throw new NotFoundError('notification', id);
    const attempts = await this.deps.occurrences.listAttempts(id);
    return { occurrence, attempts: attempts.sort((a, b) => a.sequence - b.sequence) };
  }
}

/** `<to>~<cursor>` → the anchored `to` and the log's own cursor; anything else is left to the log. */
function splitAnchor(cursor: string | undefined): { anchor: number | undefined; cursor: string | undefined } {
  const match = cursor === undefined ? null : /^(\d{1,16})~(.+)$/.exec(cursor);
  return match?.[1] && match[2]
    ? { anchor: Number(match[1]), cursor: match[2] }
    : { anchor: undefined, cursor };
}
