import { useState } from 'preact/hooks';
import {
  REPLAYABLE_STATUSES,
  type ReplayCounts,
  type ReplayDryRun,
  type ReplayJob,
  type ReplayRequestBody,
  type ReplayableStatus,
} from '../api/types';
import { canWrite, useConsole } from '../context';
import { formatInstant, inputFromInstant, instantFromInput } from '../format';
import { usePolling } from '../hooks/use-polling';

const JOB_POLL_MS = 2_000;
const DAY_MS = 86_400_000;

interface ReplayForm {
  from: string;
  to: string;
  type: string;
  userId: string;
  statuses: ReadonlySet<ReplayableStatus>;
  force: boolean;
}

/**
 * Replay a window of notifications in three steps: count what would be sent again (dry run),
 * confirm that number, then watch the job (POST /v1/replays, GET /v1/replays/{id}).
 */
export function ReplayView() {
  const { api, role, announce, fail } = useConsole();
  const [form, setForm] = useState<ReplayForm>(() => {
    const now = new Date().getTime();
    return {
      from: inputFromInstant(new Date(now - DAY_MS).toISOString()),
      to: inputFromInstant(new Date(now).toISOString()),
      type: '',
      userId: '',
      statuses: new Set<ReplayableStatus>(['failed', 'skipped']),
      force: false,
    };
  });
  /** The dry run of exactly the current form; any change to the form discards it. */
  const [dryRun, setDryRun] = useState<ReplayDryRun | undefined>(undefined);
  const [jobId, setJobId] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const writable = canWrite(role);

  const update = (change: Partial<ReplayForm>): void => {
    setForm((previous) => ({ ...previous, ...change }));
    setDryRun(undefined);
  };

  const body = (dry: boolean): ReplayRequestBody | undefined => {
    const from = instantFromInput(form.from);
    const to = instantFromInput(form.to);
    if (!from || !to) return undefined;
    return {
      from,
      to,
      ...(form.type.trim() ? { type: form.type.trim() } : {}),
      ...(form.userId.trim() ? { userId: form.userId.trim() } : {}),
      status: REPLAYABLE_STATUSES.filter((status) => form.statuses.has(status)),
      ...(form.force ? { force: true } : {}),
      ...(dry ? { dryRun: true } : {}),
    };
  };

  const count = async (): Promise<void> => {
    const request = body(true);
    if (!request) {
      announce('Give both ends of the window (UTC).', 'error');
      return;
    }
    setBusy(true);
    try {
      const answer = await api.post<ReplayDryRun>('/v1/replays', request);
      setDryRun(answer);
      announce(
        `Dry run: ${answer.counts.requeued} of ${answer.counts.matched} notifications would be sent again.`,
      );
    } catch (error) {
      fail(error, 'The dry run');
    } finally {
      setBusy(false);
    }
  };

  const start = async (): Promise<void> => {
    const request = body(false);
    if (!request) return;
    setBusy(true);
    try {
      // A repeat after a lost answer goes out with the same Idempotency-Key (ApiClient.post):
      // the API answers with the job it already started instead of starting a second one.
      const job = await api.post<ReplayJob>('/v1/replays', request);
      setJobId(job.id);
      setDryRun(undefined);
      announce(`Replay ${job.id} started.`, 'success');
    } catch (error) {
      fail(error, 'Starting the replay');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form
        class="card"
        aria-labelledby="replay-form-title"
        onSubmit={(event) => {
          event.preventDefault();
          void count();
        }}
      >
        <h2 id="replay-form-title">1. Choose the window</h2>
        <div class="fields">
          <div class="field">
            <label for="replay-from">Due from (UTC)</label>
            <input
              id="replay-from"
              type="datetime-local"
              required
              value={form.from}
              onInput={(event) => {
                update({ from: event.currentTarget.value });
              }}
            />
          </div>
          <div class="field">
            <label for="replay-to">Due before (UTC)</label>
            <input
              id="replay-to"
              type="datetime-local"
              required
              value={form.to}
              onInput={(event) => {
                update({ to: event.currentTarget.value });
              }}
            />
          </div>
          <div class="field">
            <label for="replay-type">Event type (optional)</label>
            <input
              id="replay-type"
              type="text"
              spellcheck={false}
              value={form.type}
              onInput={(event) => {
                update({ type: event.currentTarget.value });
              }}
            />
          </div>
          <div class="field">
            <label for="replay-user">User id (optional)</label>
            <input
              id="replay-user"
              type="text"
              spellcheck={false}
              value={form.userId}
              onInput={(event) => {
                update({ userId: event.currentTarget.value });
              }}
            />
          </div>
        </div>
        <fieldset>
          <legend>Statuses to send again</legend>
          {REPLAYABLE_STATUSES.map((status) => (
            <label key={status} class="check">
              <input
                type="checkbox"
                checked={form.statuses.has(status)}
                onChange={(event) => {
                  const next = new Set(form.statuses);
                  if (event.currentTarget.checked) next.add(status);
                  else next.delete(status);
                  update({ statuses: next });
                }}
              />{' '}
              {status}
            </label>
          ))}
          <label class="check">
            <input
              type="checkbox"
              checked={form.force}
              aria-describedby="force-help"
              onChange={(event) => {
                update({ force: event.currentTarget.checked });
              }}
            />{' '}
            force (send delivered ones again)
          </label>
          <p id="force-help" class="help">
            Delivered notifications are sent again only with force, with the same webhook-id.
          </p>
        </fieldset>
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={busy || !writable || form.statuses.size === 0}
            aria-describedby={writable ? undefined : 'read-only-note'}
          >
            Count (dry run)
          </button>
        </div>
      </form>

      {dryRun ? (
        <section class="card" aria-labelledby="replay-confirm-title">
          <h2 id="replay-confirm-title">2. Confirm</h2>
          <CountsTable counts={dryRun.counts} caption="What the replay would do now" />
          {dryRun.counts.requeued === 0 ? (
            <p>Nothing in this window would be sent again.</p>
          ) : (
            <div class="actions">
              <button type="button" class="primary" disabled={busy || !writable} onClick={() => void start()}>
                Send {dryRun.counts.requeued} notification{dryRun.counts.requeued === 1 ? '' : 's'} again
              </button>
              <button
                type="button"
                onClick={() => {
                  setDryRun(undefined);
                }}
              >
                Cancel
              </button>
            </div>
          )}
        </section>
      ) : null}

      {jobId ? <ReplayProgress id={jobId} key={jobId} /> : null}
    </>
  );
}

/** A job's progress, polled until it is done or failed. */
function ReplayProgress({ id }: { id: string }) {
  const { api, fail } = useConsole();
  const [job, setJob] = useState<ReplayJob | undefined>(undefined);
  const finished = job?.status === 'done' || job?.status === 'failed';

  usePolling(
    async () => {
      if (finished) return;
      try {
        setJob(await api.get<ReplayJob>(`/v1/replays/${encodeURIComponent(id)}`));
      } catch (error) {
        fail(error, 'Loading the replay');
      }
    },
    JOB_POLL_MS,
    id,
  );

  const done = job ? job.counts.matched : 0;
  return (
    <section class="card" aria-labelledby="replay-progress-title">
      <h2 id="replay-progress-title">
        3. Replay <code>{id}</code>
      </h2>
      {job ? (
        <>
          <p aria-live="polite">
            Status: <strong>{job.status}</strong>
            {job.finishedAt ? `, finished ${formatInstant(job.finishedAt)}` : ''}
            {job.error ? ` — ${job.error}` : ''}
          </p>
          <label for="replay-progress-bar">
            {done} of {job.total} looked at
          </label>
          <progress id="replay-progress-bar" max={Math.max(job.total, 1)} value={done} />
          <CountsTable counts={job.counts} caption="Progress" />
        </>
      ) : (
        <p>Loading…</p>
      )}
    </section>
  );
}

const COUNT_LABELS: Record<keyof ReplayCounts, string> = {
  matched: 'Matched in the window',
  requeued: 'Sent again',
  skippedDelivered: 'Left alone: delivered (not forced)',
  skippedInFlight: 'Left alone: already on their way',
  skippedOtherStatus: 'Left alone: other status',
  skippedChanged: 'Left alone: changed meanwhile',
};

function CountsTable({ counts, caption }: { counts: ReplayCounts; caption: string }) {
  return (
    <table class="counts">
      <caption>{caption}</caption>
      <tbody>
        {(Object.keys(COUNT_LABELS) as (keyof ReplayCounts)[]).map((name) => (
          <tr key={name}>
            <th scope="row">{COUNT_LABELS[name]}</th>
            <td class="number">{counts[name]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
