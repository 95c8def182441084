import {
  NOTIFICATION_STATUSES,
  type Attempt,
  type Notification,
  type NotificationDetail,
  type Page,
} from '#api/answer-types';
import type { CommandArgs } from '../arguments';
import type { Command, CommandContext } from '../command';
import { ExitCode } from '../errors';
import { formatCount, formatFields, formatTable, oneLine, orDash, printable } from '../format';

/** The API's largest page. */
const MAX_PAGE_SIZE = 100;
/** What one `notifications list` shows without --limit or --all (the API's default page). */
const DEFAULT_LIMIT = 20;

export const notificationsList: Command = {
  group: 'notifications',
  name: 'list',
  summary: 'list notifications, newest due first',
  arguments: '',
  description: [
    'The notification log (GET /v1/notifications). The window is on the due instant: from is',
    'inclusive, to exclusive, at most 366 days; without them, the last 31 days up to tomorrow.',
    'Shows 20 by default; --limit N shows up to N, --all follows the cursor to the end.',
  ].join('\n'),
  options: {
    user: { type: 'string', value: '<userId>', description: 'only this user’s notifications' },
    status: {
      type: 'string',
      value: '<status>',
      description: `only this status: ${NOTIFICATION_STATUSES.join(', ')}`,
    },
    type: { type: 'string', value: '<key>', description: 'only this event type (birthday, …)' },
    from: {
      type: 'string',
      value: '<ISO>',
      description: 'earliest due instant (inclusive); a date means 00:00 UTC',
    },
    to: { type: 'string', value: '<ISO>', description: 'latest due instant (exclusive)' },
    limit: {
      type: 'string',
      value: '<n>',
      description: `at most n notifications (default ${DEFAULT_LIMIT})`,
    },
    all: { type: 'boolean', description: 'every notification of the window (follows the cursor)' },
    cursor: { type: 'string', value: '<cursor>', description: 'continue from a nextCursor printed before' },
    'page-size': {
      type: 'string',
      value: '<n>',
      description: `notifications per request, 1..${MAX_PAGE_SIZE} (default ${MAX_PAGE_SIZE})`,
    },
  },
  examples: [
    'occasions notifications list --status failed --from 2027-06-01 --to 2027-07-01',
    'occasions notifications list --user 3f2b…-… --all --json | jq ".items[].status"',
  ],
  run: async (context, args) => listNotifications(context, args),
};

async function listNotifications(context: CommandContext, args: CommandArgs): Promise<ExitCode> {
  if (args.positionals.length > 0) throw args.usage(`unexpected argument "${args.positionals[0] ?? ''}"`);
  const all = args.flag('all');
  const limit = args.integer('limit', 1, Number.MAX_SAFE_INTEGER);
  if (all && limit !== undefined) throw args.usage('give --limit or --all, not both');
  const wanted = all ? Number.POSITIVE_INFINITY : (limit ?? DEFAULT_LIMIT);
  const pageSize = args.integer('page-size', 1, MAX_PAGE_SIZE) ?? MAX_PAGE_SIZE;
  const filters = {
    userId: args.string('user'),
    status: args.choice('status', NOTIFICATION_STATUSES),
    type: args.string('type'),
    from: args.instant('from'),
    to: args.instant('to'),
  };

  const client = context.api();
  const items: Notification[] = [];
  let cursor = args.string('cursor') ?? null;
  let first = true;
  // A page may be short, even empty, and still have a cursor: follow it until enough or the end.
  while (items.length < wanted && (first || cursor !== null)) {
    first = false;
    const page = await client.get<Page<Notification>>('/v1/notifications', {
      query: { ...filters, limit: Math.min(pageSize, wanted - items.length), cursor: cursor ?? undefined },
    });
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  }

  context.out.result({ items, nextCursor: cursor }, () => {
    const table =
      items.length === 0
        ? 'No notifications in this window.'
        : formatTable(
            ['ID', 'STATUS', 'TYPE', 'USER', 'LOCAL DATE', 'DUE (UTC)', 'ATTEMPTS', 'LAST ERROR'],
            items.map((item) => [
              item.id,
              item.status,
              item.type,
              item.userId,
              item.localDate,
              item.scheduledFor,
              String(item.attemptCount),
              oneLine(item.lastError ?? '-', 40),
            ]),
          );
    return `${table}\n${formatCount(items.length)} shown${cursor ? '; more with --all, or --cursor as below' : ''}`;
  });
  if (cursor && !context.out.options.json) context.out.note(`next page: --cursor ${cursor}`);
  return ExitCode.ok;
}

export const notificationsShow: Command = {
  group: 'notifications',
  name: 'show',
  summary: 'show one notification and its attempts as a timeline',
  arguments: '<id>',
  description: 'GET /v1/notifications/{id}: its state, then every POST to the webhook, oldest first.',
  options: {},
  examples: ['occasions notifications show occ_5d0c…'],
  run: async (context, args) => {
    const [id, ...extra] = args.positionals;
    if (id === undefined || extra.length > 0) throw args.usage('give exactly one notification id');
    const { body } = await context
      .api()
      .get<NotificationDetail>(`/v1/notifications/${encodeURIComponent(id)}`);
    context.out.result(body, () => renderNotification(body));
    return ExitCode.ok;
  },
};

export function renderNotification(notification: NotificationDetail): string {
  const fields: [string, string][] = [
    ['id', notification.id],
    ['status', `${notification.status}${notification.statusReason ? ` (${notification.statusReason})` : ''}`],
    ['type', `${notification.type}${notification.eventId ? ` (event ${notification.eventId})` : ''}`],
    ['user', notification.userId],
    ['local date', `${notification.localDate} in ${notification.timezone}`],
    ['due', notification.scheduledFor],
    ['delivered', orDash(notification.deliveredAt)],
    ['next attempt', orDash(notification.nextAttemptAt)],
    ['attempts', `${notification.attemptCount} counted, ${notification.deferralCount} deferred`],
    ['last error', orDash(notification.lastError)],
    ['correlation id', orDash(notification.correlationId)],
  ];
  const timeline =
    notification.attempts.length === 0
      ? ['  (no attempt yet)']
      : notification.attempts.map((attempt) => `  ${renderAttempt(attempt)}`);
  return [formatFields(fields), '', 'Timeline:', ...timeline].join('\n');
}

/** `#2  2027-06-15T09:00:05.120Z  delivered  HTTP 204  31 ms  replay`, then the answer's start. */
export function renderAttempt(attempt: Attempt): string {
  const status = attempt.statusCode === null ? 'no answer' : `HTTP ${attempt.statusCode}`;
  const head = `#${attempt.sequence}  ${attempt.at}  ${attempt.outcome.padEnd(12)}  ${status.padEnd(9)}  ${`${attempt.durationMs} ms`.padStart(8)}  ${attempt.trigger}`;
  // The receiver's answer is anyone's text: printable, like every field of the attempt.
  const detail = attempt.error ?? attempt.response;
  return printable(detail ? `${head}  ${oneLine(detail, 60)}` : head);
}
