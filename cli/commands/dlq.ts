import type { DeadLetterList, RedriveAnswer, RedriveResult } from '../api-types';
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
          orDash(item.notificationStatus),
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
    'or unreadable stay in the DLQ (see `occasions dlq delete`). Exit code 1 if any message was not',
    'redriven.',
  ].join('\n'),
  options: { all: { type: 'boolean', description: 'every message in the DLQ' } },
  examples: ['occasions dlq redrive --all', 'occasions dlq redrive 6f1c…-… 8e2a…-…'],
  run: async (context, args) => {
    const all = args.flag('all');
    const ids = args.positionals;
    if (all ? ids.length > 0 : ids.length === 0) throw args.usage('give --all or message ids (not both)');
    const results = all ? await redriveAll(context) : await redriveIds(context, ids);
    const notRedriven = results.filter((result) => result.status !== 200);
    const summary = {
      results,
      redriven: results.length - notRedriven.length,
      notRedriven: notRedriven.length,
    };
    context.out.result(summary, () => renderRedrive(results));
    return notRedriven.length > 0 ? ExitCode.partialFailure : ExitCode.ok;
  },
};

async function redriveIds(context: CommandContext, messageIds: readonly string[]): Promise<RedriveResult[]> {
  const client = context.api();
  const results: RedriveResult[] = [];
  for (let start = 0; start < messageIds.length; start += IDS_PER_REDRIVE) {
    const { body } = await client.post<RedriveAnswer>('/v1/dlq/redrive', {
      body: { messageIds: messageIds.slice(start, start + IDS_PER_REDRIVE) },
      idempotencyKey: context.newIdempotencyKey(),
    });
    results.push(...body.results);
  }
  return results;
}

/** Calls until a call redrives nothing more: what is left cannot be redriven. */
async function redriveAll(context: CommandContext): Promise<RedriveResult[]> {
  const client = context.api();
  const results = new Map<string, RedriveResult>();
  for (let call = 0; call < MAX_REDRIVE_ALL_CALLS; call += 1) {
    const { body } = await client.post<RedriveAnswer>('/v1/dlq/redrive', {
      body: { all: true },
      idempotencyKey: context.newIdempotencyKey(),
    });
    for (const result of body.results) results.set(result.messageId, result);
    const redriven = body.results.filter((result) => result.status === 200).length;
    if (redriven > 0)
      context.out.note(`redriven ${formatCount(redriven)}; about ${formatCount(body.remaining)} left`);
    if (redriven === 0 || body.remaining === 0) break;
  }
  return [...results.values()];
}

function renderRedrive(results: readonly RedriveResult[]): string {
  if (results.length === 0) return 'Nothing to redrive: the DLQ is empty.';
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
  return `${table}\n${formatCount(redriven)} redriven, ${formatCount(results.length - redriven)} not`;
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
