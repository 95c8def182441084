import type { DeadLetterList, RedriveAnswer, RedriveResult } from '#api/answer-types';
import type { Command, CommandContext } from '../command';
import { ExitCode } from '../errors';
import { formatCount, formatTable, oneLine, orDash } from '../format';

/** The API takes at most 100 message ids per redrive. */
const IDS_PER_REDRIVE = 100;
/** `--all` redrives up to 500 per call; this many calls (50,000 messages) at most. */
const MAX_REDRIVE_ALL_CALLS = 100;

export const dlqList: Command = {
  group: 'dlq',
  name: 'list',
  summary: 'list dead letters (listing never removes one)',
  arguments: '',
  description: [
    'GET /v1/dlq: the messages in the notifications dead-letter queue, with their notification’s',
    'status and why they failed. SQS has no order and no cursor; the count is approximate.',
  ].join('\n'),
  options: {
    limit: { type: 'string', value: '<n>', description: 'most messages to show, 1..100 (default 20)' },
  },
  examples: ['occasions dlq list', 'occasions dlq list --json | jq -r ".items[].messageId"'],
  run: async (context, args) => {
    if (args.positionals.length > 0) throw args.usage(`unexpected argument "${args.positionals[0] ?? ''}"`);
    const limit = args.integer('limit', 1, 100);
    const { body } = await context.api().get<DeadLetterList>('/v1/dlq', { query: { limit } });
    context.out.result(body, () => {
      const count = `${formatCount(body.items.length)} shown, about ${formatCount(body.approximateCount)} in the DLQ`;
      if (body.items.length === 0) return `The DLQ is empty (${count}).`;
      const table = formatTable(
        ['MESSAGE ID', 'NOTIFICATION', 'STATUS', 'RECEIVES', 'SENT AT', 'REASON'],
        body.items.map((item) => [
          item.messageId,
          orDash(item.occurrenceId),
          item.notificationStatus ?? (item.planned ? 'planned (redrive it)' : '-'),
          String(item.receiveCount),
          item.sentAt,
          oneLine(item.reason ?? '-', 50),
        ]),
      );
      return `${table}\n${count}`;
    });
    return ExitCode.ok;
  },
};

export const dlqRedrive: Command = {
  group: 'dlq',
  name: 'redrive',
  summary: 'send dead letters back to the notifications queue',
  arguments: '--all | <messageId…>',
  description: [
    'POST /v1/dlq/redrive: each failed notification is queued again with a fresh retry budget and',
    'delivered once. Messages whose notification is already final (delivered, skipped, cancelled)',
    'or unreadable stay in the DLQ (see `occasions dlq delete`). --all calls the API (500 messages',
    'a call) until the DLQ is empty or a call neither redrives a message nor sees a new one; the',
    'summary says about how many are left. Exit code 1 if any message was not redriven.',
  ].join('\n'),
  options: { all: { type: 'boolean', description: 'every message in the DLQ' } },
  examples: ['occasions dlq redrive --all', 'occasions dlq redrive 6f1c…-… 8e2a…-…'],
  run: async (context, args) => {
    const all = args.flag('all');
    const ids = args.positionals;
    if (all ? ids.length > 0 : ids.length === 0) throw args.usage('give --all or message ids (not both)');
    const { results, remaining } = all ? await redriveAll(context) : await redriveIds(context, ids);
    const notRedriven = results.filter((result) => result.status !== 200);
    const summary = {
      results,
      redriven: results.length - notRedriven.length,
      notRedriven: notRedriven.length,
      remaining,
    };
    context.out.result(summary, () => renderRedrive(results, remaining));
    return notRedriven.length > 0 ? ExitCode.partialFailure : ExitCode.ok;
  },
};

/** What a redrive did: one result per message, and about how many messages the DLQ still holds. */
interface Redrive {
  results: RedriveResult[];
  /** The API's approximate count after the last call. */
  remaining: number;
}

async function redriveIds(context: CommandContext, messageIds: readonly string[]): Promise<Redrive> {
  const client = context.api();
  const results: RedriveResult[] = [];
  let remaining = 0;
  for (let start = 0; start < messageIds.length; start += IDS_PER_REDRIVE) {
    const { body } = await client.post<RedriveAnswer>('/v1/dlq/redrive', {
      body: { messageIds: messageIds.slice(start, start + IDS_PER_REDRIVE) },
      idempotencyKey: context.newIdempotencyKey(),
    });
    results.push(...body.results);
    remaining = body.remaining;
  }
  return { results, remaining };
}

/**
 * Calls until the DLQ is empty or a call neither redrove a message nor saw one it had not seen:
 * a call looks at up to 500 messages, and those may all be ones that stay (already final), with
 * others behind them. A message redriven once is not counted as stuck if a later call shows it.
 */
async function redriveAll(context: CommandContext): Promise<Redrive> {
  const client = context.api();
  const results = new Map<string, RedriveResult>();
  let remaining = 0;
  for (let call = 1; ; call += 1) {
    const { body } = await client.post<RedriveAnswer>('/v1/dlq/redrive', {
      body: { all: true },
      idempotencyKey: context.newIdempotencyKey(),
    });
    remaining = body.remaining;
    const unseen = body.results.filter((result) => !results.has(result.messageId)).length;
    for (const result of body.results) {
      if (results.get(result.messageId)?.status !== 200) results.set(result.messageId, result);
    }
    const redriven = body.results.filter((result) => result.status === 200).length;
    context.out.note(
      `call ${call}: ${formatCount(redriven)} redriven of ${formatCount(body.results.length)} looked at; about ${formatCount(remaining)} left`,
    );
    if (remaining === 0 || (redriven === 0 && unseen === 0)) break;
    if (call >= MAX_REDRIVE_ALL_CALLS) {
      context.out.warn(
        `stopped after ${formatCount(call)} calls with about ${formatCount(remaining)} left: run it again`,
      );
      break;
    }
  }
  return { results: [...results.values()], remaining };
}

function renderRedrive(results: readonly RedriveResult[], remaining: number): string {
  if (results.length === 0) {
    return remaining === 0
      ? 'Nothing to redrive: the DLQ is empty.'
      : `Nothing to redrive: no message could be looked at, yet about ${formatCount(remaining)} are in the DLQ (held by another command for a moment?): try again shortly.`;
  }
  const table = formatTable(
    ['MESSAGE ID', 'OUTCOME', 'NOTIFICATION', 'STATUS NOW', 'DETAIL'],
    results.map((result) => [
      result.messageId,
      result.outcome,
      orDash(result.occurrenceId),
      orDash(result.notificationStatus),
      oneLine(result.detail, 60),
    ]),
  );
  const redriven = results.filter((result) => result.status === 200).length;
  // The count is SQS's approximation, and other writers may add to the DLQ meanwhile.
  return `${table}\n${formatCount(redriven)} redriven, ${formatCount(results.length - redriven)} not; about ${formatCount(remaining)} still in the DLQ`;
}

export const dlqDelete: Command = {
  group: 'dlq',
  name: 'delete',
  summary: 'delete one dead letter (its notification stays failed)',
  arguments: '<messageId>',
  description: [
    'DELETE /v1/dlq/{messageId}: the message leaves the DLQ; its notification stays failed, with a',
    'note, and a replay can still send it.',
  ].join('\n'),
  options: {},
  examples: ['occasions dlq delete 6f1c…-…'],
  run: async (context, args) => {
    const [messageId, ...extra] = args.positionals;
    if (messageId === undefined || extra.length > 0) throw args.usage('give exactly one message id');
    await context.api().delete(`/v1/dlq/${encodeURIComponent(messageId)}`);
    context.out.result({ messageId, deleted: true }, () => `Deleted ${messageId} from the DLQ.`);
    return ExitCode.ok;
  },
};
