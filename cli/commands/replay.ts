import type { Page, ReplayCounts, ReplayDryRun, ReplayJob } from '#api/answer-types';
import type { CommandArgs } from '../arguments';
import type { Command, CommandContext } from '../command';
import { CliError, ExitCode } from '../errors';
import { formatCount, formatFields, formatTable, orDash } from '../format';

const REPLAY_STATUSES = ['failed', 'skipped', 'cancelled', 'delivered'] as const;
/** How often a watched job is read, in ms of real time (the API allows 50 requests a second). */
const POLL_INTERVAL_MS = 500;
/** Minutes without any change of the watched job's status or counts before watching gives up. */
const DEFAULT_STALL_MINUTES = 10;
const MAX_STALL_MINUTES = 24 * 60;

export const replayStart: Command = {
  group: 'replay',
  name: 'start',
  summary: 'replay a window of notifications: dry-run count, start, watch',
  arguments: '',
  description: [
    'POST /v1/replays: the window’s failed and skipped notifications (or --status) are queued again,',
    'each with its own webhook-id; delivered ones only with --force. First shows what a dry run',
    'counts, then starts the job and watches its progress until it is done (--no-watch: return at',
    'once; `occasions replay show <id>` later). The same request again answers the same job.',
    'Exit code 1 if the job failed (repeating the command resumes it); exit code 4 if it stopped',
    'moving: no change of its status or counts for --stall-minutes (watching stops, not the job).',
  ].join('\n'),
  options: {
    from: { type: 'string', value: '<ISO>', description: 'earliest due instant (inclusive), required' },
    to: {
      type: 'string',
      value: '<ISO>',
      description: 'latest due instant (exclusive), required; at most 366 days',
    },
    type: { type: 'string', value: '<key>', description: 'only notifications of this event type' },
    user: { type: 'string', value: '<userId>', description: 'only this user’s notifications' },
    status: {
      type: 'string',
      multiple: true,
      value: '<status>',
      description: `statuses to replay (repeatable): ${REPLAY_STATUSES.join(', ')} (default failed, skipped)`,
    },
    force: { type: 'boolean', description: 'also send delivered notifications again (same webhook-id)' },
    'dry-run': { type: 'boolean', description: 'only count; change nothing' },
    'no-watch': { type: 'boolean', description: 'start the job and return without waiting for it' },
    'stall-minutes': {
      type: 'string',
      value: '<n>',
      description: `stop watching a job that shows no progress for n minutes, 1..${MAX_STALL_MINUTES} (default ${DEFAULT_STALL_MINUTES})`,
    },
  },
  examples: [
    'occasions replay start --from 2027-06-14T00:00:00Z --to 2027-06-16T00:00:00Z --dry-run',
    'occasions replay start --from 2027-06-14 --to 2027-06-16',
  ],
  run: async (context, args) => startReplay(context, args),
};

async function startReplay(context: CommandContext, args: CommandArgs): Promise<ExitCode> {
  if (args.positionals.length > 0) throw args.usage(`unexpected argument "${args.positionals[0] ?? ''}"`);
  const from = args.instant('from');
  const to = args.instant('to');
  if (from === undefined || to === undefined) throw args.usage('--from and --to are required');
  if (Date.parse(from) >= Date.parse(to)) throw args.usage('--from must be before --to');
  const stallMinutes = args.integer('stall-minutes', 1, MAX_STALL_MINUTES) ?? DEFAULT_STALL_MINUTES;
  const statuses = args.strings('status');
  for (const status of statuses) {
    if (!(REPLAY_STATUSES as readonly string[]).includes(status)) {
      throw args.usage(`--status must be one of ${REPLAY_STATUSES.join(', ')} (got "${status}")`);
    }
  }
  const request = {
    from,
    to,
    ...(args.string('type') === undefined ? {} : { type: args.string('type') }),
    ...(args.string('user') === undefined ? {} : { userId: args.string('user') }),
    ...(statuses.length === 0 ? {} : { status: statuses }),
    ...(args.flag('force') ? { force: true } : {}),
  };
  const { out } = context;
  const client = context.api();

  const { body: dryRun } = await client.post<ReplayDryRun>('/v1/replays', {
    body: { ...request, dryRun: true },
    idempotencyKey: context.newIdempotencyKey(),
  });
  if (args.flag('dry-run')) {
    out.result(dryRun, () => `Dry run (nothing changed): ${describeCounts(dryRun.counts)}`);
    return ExitCode.ok;
  }
  out.note(`dry run: ${describeCounts(dryRun.counts)}`);
  if (dryRun.counts.requeued === 0) {
    out.result({ dryRun, job: null }, () => 'Nothing to replay in this window: no job started.');
    return ExitCode.ok;
  }

  const started = await client.post<ReplayJob>('/v1/replays', {
    body: request,
    idempotencyKey: context.newIdempotencyKey(),
  });
  let job = started.body;
  out.note(
    started.status === 202
      ? `started replay job ${job.id}`
      : `this request already has job ${job.id} (${job.status}); the same request never replays twice`,
  );
  if (!args.flag('no-watch')) job = await watch(context, job, stallMinutes);
  out.result({ dryRun, job }, () => renderJob(job));
  return job.status === 'failed' ? ExitCode.partialFailure : ExitCode.ok;
}

/**
 * Reads the job until it is done or failed, drawing its progress on stderr. A job whose status
 * and counts stay the same for `stallMinutes` (a worker that died with it `running`) ends the
 * watch with exit code 4 rather than a wait without end; the job itself is left as it is.
 */
async function watch(context: CommandContext, initial: ReplayJob, stallMinutes: number): Promise<ReplayJob> {
  const client = context.api();
  const progress = context.out.progress(`replay ${initial.id}`, Math.max(initial.total, 1));
  let job = initial;
  let seen = progressOf(job);
  let changedAt = context.now();
  for (;;) {
    progress.update(
      job.counts.matched,
      `${job.status}, ${formatCount(job.counts.requeued)} requeued`,
      Math.max(job.total, 1),
    );
    if (job.status === 'done' || job.status === 'failed') break;
    if (context.now() - changedAt >= stallMinutes * 60_000) {
      progress.interrupt();
      throw new CliError(
        `replay job ${job.id} has shown no progress for ${stallMinutes} min (still ${job.status}, ${formatCount(job.counts.matched)} of ${formatCount(job.total)} looked at); stopped watching, the job is left as it is: check it with \`occasions replay show ${job.id}\``,
        ExitCode.api,
        { job },
      );
    }
    await context.sleep(POLL_INTERVAL_MS);
    job = (await client.get<ReplayJob>(`/v1/replays/${encodeURIComponent(job.id)}`)).body;
    const current = progressOf(job);
    if (current !== seen) {
      seen = current;
      changedAt = context.now();
    }
  }
  progress.finish(`${job.status}, ${formatCount(job.counts.requeued)} requeued`);
  return job;
}

export const replayShow: Command = {
  group: 'replay',
  name: 'show',
  summary: 'show a replay job and its progress',
  arguments: '<id>',
  description: 'GET /v1/replays/{id}: status (pending, running, done, failed), counts and error.',
  options: {},
  examples: ['occasions replay show rpl_…'],
  run: async (context, args) => {
    const [id, ...extra] = args.positionals;
    if (id === undefined || extra.length > 0) throw args.usage('give exactly one replay job id');
    const { body } = await context.api().get<ReplayJob>(`/v1/replays/${encodeURIComponent(id)}`);
    context.out.result(body, () => renderJob(body));
    return ExitCode.ok;
  },
};

export const replayList: Command = {
  group: 'replay',
  name: 'list',
  summary: 'list replay jobs',
  arguments: '',
  description: 'GET /v1/replays: the jobs, with their window and counts.',
  options: { limit: { type: 'string', value: '<n>', description: 'jobs to show, 1..100 (default 20)' } },
  examples: ['occasions replay list'],
  run: async (context, args) => {
    const limit = args.integer('limit', 1, 100);
    const { body } = await context.api().get<Page<ReplayJob>>('/v1/replays', { query: { limit } });
    context.out.result(body, () =>
      body.items.length === 0
        ? 'No replay jobs.'
        : formatTable(
            ['ID', 'STATUS', 'FROM', 'TO', 'MATCHED', 'REQUEUED', 'CREATED'],
            body.items.map((job) => [
              job.id,
              job.status,
              job.request.from,
              job.request.to,
              formatCount(job.counts.matched),
              formatCount(job.counts.requeued),
              job.createdAt,
            ]),
          ),
    );
    return ExitCode.ok;
  },
};

/** What tells a moving job from a stuck one: its status, total and counts. */
function progressOf(job: ReplayJob): string {
  return JSON.stringify([job.status, job.total, job.counts]);
}

function describeCounts(counts: ReplayCounts): string {
  const skipped = [
    ['delivered', counts.skippedDelivered],
    ['in flight', counts.skippedInFlight],
    ['other status', counts.skippedOtherStatus],
    ['changed', counts.skippedChanged],
  ].filter(([, count]) => count !== 0);
  const rest = skipped.map(([label, count]) => `${formatCount(Number(count))} ${String(label)}`).join(', ');
  return `${formatCount(counts.requeued)} of ${formatCount(counts.matched)} notifications to replay${rest ? ` (left alone: ${rest})` : ''}`;
}

export function renderJob(job: ReplayJob): string {
  const window = `${job.request.from} to ${job.request.to}`;
  const filters = [
    job.request.type && `type ${job.request.type}`,
    job.request.userId && `user ${job.request.userId}`,
  ]
    .filter(Boolean)
    .join(', ');
  return formatFields([
    ['job', job.id],
    ['status', job.status],
    ['window', `${window}${filters ? ` (${filters})` : ''}`],
    ['statuses', `${job.request.status.join(', ')}${job.request.force ? ' (forced)' : ''}`],
    ['progress', `${formatCount(job.counts.matched)} of ${formatCount(job.total)} looked at`],
    ['result', describeCounts(job.counts)],
    ['started', orDash(job.startedAt)],
    ['finished', orDash(job.finishedAt)],
    ['error', orDash(job.error)],
  ]);
}
