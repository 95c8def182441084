import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeadLetter, DeadLetterList, RedriveAnswer, RedriveResult } from '../api/types';
import { canWrite, useConsole } from '../context';
import { formatInstant, formatNumber } from '../format';
import { ConfirmDialog } from './confirm-dialog';
import { NotificationStatusBadge } from './status-badge';

type Pending = { kind: 'redrive-all' } | { kind: 'delete'; letter: DeadLetter };

/** The API redrives at most 500 messages per `{"all": true}` call; this many calls at most (as the CLI). */
const MAX_REDRIVE_ALL_CALLS = 100;
/** Rows of the last redrive's table; the messages left in the DLQ come first. */
const SHOWN_RESULTS = 500;

/** The outcome of a whole redrive, one or many calls. */
interface RedriveSummary {
  results: RedriveResult[];
  calls: number;
  /** The API's approximate count of messages left in the DLQ after the last call. */
  remaining: number | undefined;
  /** Why a redrive-all ended before the DLQ was empty of what it could redrive. */
  stopped?: 'stopped' | 'failed' | 'call-limit';
}

const plural = (count: number, noun: string): string =>
  `${formatNumber(count)} ${noun}${count === 1 ? '' : 's'}`;

/**
 * The dead-letter queue (GET /v1/dlq): redrive selected messages or all of them, delete one
 * after a confirmation. Loaded on demand, not polled: every listing counts as a receive in SQS.
 */
export function DlqView({ onShowNotification }: { onShowNotification: (occurrenceId: string) => void }) {
  const { api, role, announce, fail } = useConsole();
  const [list, setList] = useState<DeadLetterList | undefined>(undefined);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [summary, setSummary] = useState<RedriveSummary | undefined>(undefined);
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  /** While "Redrive all" runs: where it is, read out after every call. */
  const [progress, setProgress] = useState<string | undefined>(undefined);
  const stopRequested = useRef(false);
  const writable = canWrite(role);

  // Leaving the section stops a running "Redrive all" after its current call.
  useEffect(
    () => () => {
      stopRequested.current = true;
    },
    [],
  );

  const load = async (): Promise<void> => {
    setBusy(true);
    try {
      const answer = await api.get<DeadLetterList>('/v1/dlq', { limit: '100' });
      setList(answer);
      setSelected(
        (previous) => new Set(answer.items.map((item) => item.messageId).filter((id) => previous.has(id))),
      );
    } catch (error) {
      fail(error, 'Loading the DLQ');
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load();
  }, []);

  /** The selected messages: one call (the API takes up to 100 ids; the list shows up to 100). */
  const redriveSelected = async (messageIds: string[]): Promise<void> => {
    setBusy(true);
    try {
      const answer = await api.post<RedriveAnswer>('/v1/dlq/redrive', { messageIds });
      setSelected(new Set());
      report({ results: answer.results, calls: 1, remaining: answer.remaining });
    } catch (error) {
      fail(error, 'Redrive');
    } finally {
      setBusy(false);
    }
    await load();
  };

  /**
   * Every message: the API moves up to 500 per call and says how many remain, so call again
   * (each call a new action, with its own Idempotency-Key) until none remain, or a call redrove
   * nothing and saw no message the earlier calls had not (what is left cannot be redriven), like
   * `occasions dlq redrive --all`. Progress is read out after every call.
   */
  const redriveAll = async (): Promise<void> => {
    setBusy(true);
    const results = new Map<string, RedriveResult>();
    let calls = 0;
    let remaining: number | undefined;
    let stopped: RedriveSummary['stopped'];
    const redrivenSoFar = (): number => [...results.values()].filter(isRedriven).length;
    setProgress('Redriving every dead letter: first call…');
    try {
      for (;;) {
        if (calls >= MAX_REDRIVE_ALL_CALLS) {
          stopped = 'call-limit';
          break;
        }
        if (stopRequested.current) {
          stopped = 'stopped';
          break;
        }
        const answer = await api.post<RedriveAnswer>('/v1/dlq/redrive', { all: true });
        calls += 1;
        remaining = answer.remaining;
        const seenBefore = results.size;
        for (const result of answer.results) results.set(result.messageId, result);
        const redriven = answer.results.filter(isRedriven).length;
        setProgress(
          `Call ${calls}: ${plural(redrivenSoFar(), 'message')} redriven so far; about ` +
            `${formatNumber(remaining)} remain in the DLQ.`,
        );
        if (remaining === 0 || (redriven === 0 && results.size === seenBefore)) break;
      }
    } catch (error) {
      stopped = 'failed';
      fail(error, `Redrive all (call ${calls + 1}, after ${plural(redrivenSoFar(), 'message')} redriven)`);
    } finally {
      setProgress(undefined);
      setBusy(false);
    }
    setSelected(new Set());
    const outcome = { results: [...results.values()], calls, remaining, ...(stopped ? { stopped } : {}) };
    // A failure was announced already; its partial results still show, if there were any.
    if (stopped !== 'failed') report(outcome);
    else if (calls > 0) setSummary(outcome);
    await load();
  };

  /** Shows a redrive's results and reads its totals out. */
  const report = (summary: RedriveSummary): void => {
    setSummary(summary);
    const redriven = summary.results.filter(isRedriven).length;
    const left = summary.results.length - redriven;
    announce(
      `${summaryText(summary)}${left > 0 ? ' (see the results)' : ''}.`,
      left > 0 || summary.stopped === 'call-limit' ? 'error' : summary.stopped ? 'info' : 'success',
    );
  };

  const remove = async (letter: DeadLetter): Promise<void> => {
    setBusy(true);
    try {
      await api.delete(`/v1/dlq/${encodeURIComponent(letter.messageId)}`);
      announce(`Dead letter ${letter.messageId} deleted; its notification stays failed.`, 'success');
    } catch (error) {
      fail(error, 'Deleting the dead letter');
    } finally {
      setBusy(false);
    }
    await load();
  };

  const items = list?.items ?? [];
  const allSelected = items.length > 0 && items.every((item) => selected.has(item.messageId));
  const toggle = (messageId: string, on: boolean): void => {
    setSelected((previous) => {
      const next = new Set(previous);
      if (on) next.add(messageId);
      else next.delete(messageId);
      return next;
    });
  };
  const writeHelp = writable ? undefined : 'read-only-note';

  return (
    <>
      <p class="refresh-note">
        {list
          ? `About ${list.approximateCount} message${list.approximateCount === 1 ? '' : 's'} in the DLQ.`
          : 'Loading…'}{' '}
        Listing is not automatic: each listing counts as a receive in SQS.{' '}
        <button type="button" disabled={busy} onClick={() => void load()}>
          Refresh
        </button>
      </p>
      <div class="actions toolbar">
        <button
          type="button"
          class="primary"
          disabled={!writable || busy || selected.size === 0}
          aria-describedby={writeHelp}
          onClick={() => void redriveSelected([...selected])}
        >
          Redrive selected ({selected.size})
        </button>
        <button
          type="button"
          disabled={!writable || busy || items.length === 0}
          aria-describedby={writeHelp}
          onClick={() => {
            setPending({ kind: 'redrive-all' });
          }}
        >
          Redrive all…
        </button>
        {progress === undefined ? null : (
          <button
            type="button"
            onClick={() => {
              stopRequested.current = true;
              setProgress('Stopping after the current call…');
            }}
          >
            Stop
          </button>
        )}
      </div>
      <p class="progress-line" aria-live="polite">
        {progress}
      </p>
      {list && items.length === 0 ? <p>The DLQ is empty.</p> : null}
      {items.length > 0 ? (
        <div class="table-scroll">
          <table class="results">
            <caption class="visually-hidden">Dead letters</caption>
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    id="dlq-select-all"
                    aria-label="Select every message"
                    checked={allSelected}
                    disabled={!writable}
                    onChange={(event) => {
                      const on = event.currentTarget.checked;
                      setSelected(new Set(on ? items.map((item) => item.messageId) : []));
                    }}
                  />
                </th>
                <th scope="col">Message</th>
                <th scope="col">Notification</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Sent</th>
                <th scope="col">Receives</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((letter) => (
                <tr key={letter.messageId}>
                  <td>
                    <input
                      type="checkbox"
                      id={`select-${letter.messageId}`}
                      aria-label={`Select message ${letter.messageId}`}
                      checked={selected.has(letter.messageId)}
                      disabled={!writable}
                      onChange={(event) => {
                        toggle(letter.messageId, event.currentTarget.checked);
                      }}
                    />
                  </td>
                  <td>
                    <code>{letter.messageId}</code>
                  </td>
                  <td>
                    {letter.occurrenceId ? (
                      <button
                        type="button"
                        class="link"
                        onClick={() => {
                          onShowNotification(letter.occurrenceId ?? '');
                        }}
                        aria-label={`Attempts of notification ${letter.occurrenceId}`}
                      >
                        {letter.occurrenceId}
                      </button>
                    ) : (
                      'not a notification'
                    )}
                  </td>
                  <td>
                    {letter.notificationStatus === null && letter.planned ? (
                      <span
                        class="badge badge-queued"
                        title="A plan no worker claimed: redrive it, do not delete it"
                      >
                        planned, never attempted
                      </span>
                    ) : (
                      <NotificationStatusBadge status={letter.notificationStatus} />
                    )}
                  </td>
                  <td>{letter.reason ?? '—'}</td>
                  <td>{formatInstant(letter.sentAt)}</td>
                  <td class="number">{letter.receiveCount}</td>
                  <td>
                    <button
                      type="button"
                      class="danger-outline"
                      disabled={!writable || busy}
                      aria-describedby={writeHelp}
                      aria-label={`Delete message ${letter.messageId}…`}
                      onClick={() => {
                        setPending({ kind: 'delete', letter });
                      }}
                    >
                      Delete…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {summary ? <RedriveResults summary={summary} /> : null}

      {pending?.kind === 'redrive-all' ? (
        <ConfirmDialog
          title="Redrive every dead letter?"
          confirmLabel="Redrive all"
          onCancel={() => {
            setPending(undefined);
          }}
          onConfirm={() => {
            setPending(undefined);
            stopRequested.current = false;
            void redriveAll();
          }}
        >
          <p>
            Every message in the DLQ (about {formatNumber(list?.approximateCount ?? 0)}) goes back to the
            notifications queue, up to 500 per call, until none is left that can be redriven; failed
            notifications are delivered once more with a fresh retry budget. Delivered ones are left alone.
          </p>
          <p>Progress is shown as it goes; you can stop it, and leaving this section stops it too.</p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'delete' ? (
        <ConfirmDialog
          title="Delete this dead letter?"
          confirmLabel="Delete message"
          tone="danger"
          onCancel={() => {
            setPending(undefined);
          }}
          onConfirm={() => {
            const { letter } = pending;
            setPending(undefined);
            void remove(letter);
          }}
        >
          <p>
            Message <code>{pending.letter.messageId}</code> is removed from the DLQ and cannot be redriven.
            Its notification stays failed; a replay can still send it.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

const isRedriven = (result: RedriveResult): boolean => result.status === 200;

/** `510 messages redriven to the notifications queue in 2 calls, 3 left in the DLQ; about 3 remain.` */
function summaryText({ results, calls, remaining, stopped }: RedriveSummary): string {
  const redriven = results.filter(isRedriven).length;
  const left = results.length - redriven;
  const ending =
    stopped === 'stopped'
      ? ' (stopped)'
      : stopped === 'call-limit'
        ? ` (stopped after ${formatNumber(MAX_REDRIVE_ALL_CALLS)} calls: run it again for the rest)`
        : stopped === 'failed'
          ? ' before the error'
          : '';
  return (
    `${plural(redriven, 'message')} redriven to the notifications queue` +
    `${calls > 1 ? ` in ${plural(calls, 'call')}` : ''}${ending}` +
    (left > 0 ? `, ${formatNumber(left)} left in the DLQ` : '') +
    (remaining === undefined ? '' : `; about ${formatNumber(remaining)} remain in the DLQ`)
  );
}

function RedriveResults({ summary }: { summary: RedriveSummary }) {
  // The messages that stayed in the DLQ first: they are the ones needing attention.
  const ordered = [...summary.results].sort((a, b) => Number(isRedriven(a)) - Number(isRedriven(b)));
  const shown = ordered.slice(0, SHOWN_RESULTS);
  return (
    <section aria-labelledby="redrive-results-title">
      <h2 id="redrive-results-title">Last redrive</h2>
      <p>{summaryText(summary)}.</p>
      {summary.results.length === 0 ? (
        <p>There was nothing to redrive.</p>
      ) : (
        <div class="table-scroll">
          <table>
            {shown.length < ordered.length ? (
              <caption>
                The first {formatNumber(shown.length)} of {formatNumber(ordered.length)} messages.
              </caption>
            ) : null}
            <thead>
              <tr>
                <th scope="col">Message</th>
                <th scope="col">Outcome</th>
                <th scope="col">Notification</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((result) => (
                <tr key={result.messageId}>
                  <td>
                    <code>{result.messageId}</code>
                  </td>
                  <td>
                    {result.outcome} ({result.status})
                  </td>
                  <td>
                    <NotificationStatusBadge status={result.notificationStatus} />
                  </td>
                  <td>{result.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
