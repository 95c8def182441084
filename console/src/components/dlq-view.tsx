import { useEffect, useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api/client';
import type { DeadLetter, DeadLetterList, RedriveAnswer, RedriveResult } from '../api/types';
import { canWrite, useConsole } from '../context';
import { formatInstant } from '../format';
import { ConfirmDialog } from './confirm-dialog';
import { NotificationStatusBadge } from './status-badge';

type Pending = { kind: 'redrive-all' } | { kind: 'delete'; letter: DeadLetter };

/**
 * The dead-letter queue (GET /v1/dlq): redrive selected messages or all of them, delete one
 * after a confirmation. Loaded on demand, not polled: every listing counts as a receive in SQS.
 */
export function DlqView({ onShowNotification }: { onShowNotification: (occurrenceId: string) => void }) {
  const { api, role, announce, fail } = useConsole();
  const [list, setList] = useState<DeadLetterList | undefined>(undefined);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [results, setResults] = useState<RedriveResult[] | undefined>(undefined);
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const writable = canWrite(role);

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

  const redrive = async (body: { all: true } | { messageIds: string[] }): Promise<void> => {
    setBusy(true);
    try {
      const answer = await api.post<RedriveAnswer>('/v1/dlq/redrive', body, {
        idempotencyKey: newIdempotencyKey(),
      });
      setResults(answer.results);
      setSelected(new Set());
      const redriven = answer.results.filter((result) => result.status === 200).length;
      const left = answer.results.length - redriven;
      announce(
        `${redriven} message${redriven === 1 ? '' : 's'} redriven to the notifications queue` +
          `${left > 0 ? `, ${left} left in the DLQ (see the results)` : ''}; about ${answer.remaining} remain in the DLQ.`,
        left > 0 ? 'error' : 'success',
      );
    } catch (error) {
      fail(error, 'Redrive');
    } finally {
      setBusy(false);
    }
    await load();
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
          onClick={() => void redrive({ messageIds: [...selected] })}
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
      </div>
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
                    <NotificationStatusBadge status={letter.notificationStatus} />
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

      {results ? <RedriveResults results={results} /> : null}

      {pending?.kind === 'redrive-all' ? (
        <ConfirmDialog
          title="Redrive every dead letter?"
          confirmLabel="Redrive all"
          onCancel={() => {
            setPending(undefined);
          }}
          onConfirm={() => {
            setPending(undefined);
            void redrive({ all: true });
          }}
        >
          <p>
            About {list?.approximateCount ?? 0} messages go back to the notifications queue; failed
            notifications are delivered once more with a fresh retry budget. Delivered ones are left alone.
          </p>
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

function RedriveResults({ results }: { results: RedriveResult[] }) {
  return (
    <section aria-labelledby="redrive-results-title">
      <h2 id="redrive-results-title">Last redrive</h2>
      {results.length === 0 ? (
        <p>There was nothing to redrive.</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Message</th>
                <th scope="col">Outcome</th>
                <th scope="col">Notification</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {results.map((result) => (
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
