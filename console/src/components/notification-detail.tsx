import { useEffect, useRef, useState } from 'preact/hooks';
import type { Attempt, NotificationDetail } from '../api/types';
import { useConsole } from '../context';
import { formatInstant } from '../format';
import { NotificationStatusBadge } from './status-badge';

/** One notification (GET /v1/notifications/{id}) and every POST made for it, oldest first. */
export function NotificationDetailPanel({ id }: { id: string }) {
  const { api, fail } = useConsole();
  const [detail, setDetail] = useState<NotificationDetail | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  const load = async (): Promise<void> => {
    setBusy(true);
    try {
      setDetail(await api.get<NotificationDetail>(`/v1/notifications/${encodeURIComponent(id)}`));
    } catch (error) {
      fail(error, 'Loading the notification');
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load().then(() => heading.current?.focus());
  }, [id]);

  return (
    <section class="card detail" aria-labelledby="detail-title" aria-busy={busy ? 'true' : 'false'}>
      <h2 id="detail-title" tabIndex={-1} ref={heading}>
        Notification <code>{id}</code>
      </h2>
      {detail ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <NotificationStatusBadge status={detail.status} />
              {detail.statusReason ? <span class="subtle"> {detail.statusReason}</span> : null}
            </dd>
            <dt>User</dt>
            <dd>
              <code>{detail.userId}</code>
            </dd>
            <dt>Event</dt>
            <dd>
              {detail.type} on {detail.localDate} ({detail.timezone})
            </dd>
            <dt>Due</dt>
            <dd>{formatInstant(detail.scheduledFor)}</dd>
            <dt>Delivered</dt>
            <dd>{formatInstant(detail.deliveredAt)}</dd>
            {detail.nextAttemptAt ? (
              <>
                <dt>Next attempt</dt>
                <dd>{formatInstant(detail.nextAttemptAt)}</dd>
              </>
            ) : null}
            <dt>Attempts</dt>
            <dd>
              {detail.attemptCount} (plus {detail.deferralCount} deferrals)
            </dd>
          </dl>
          <h3 id="timeline-title">Attempts timeline</h3>
          {detail.attempts.length === 0 ? (
            <p>No attempt yet.</p>
          ) : (
            <ol class="timeline" aria-labelledby="timeline-title">
              {detail.attempts.map((attempt) => (
                <AttemptItem attempt={attempt} key={attempt.sequence} />
              ))}
            </ol>
          )}
        </>
      ) : (
        <p>{busy ? 'Loading…' : 'Not loaded.'}</p>
      )}
      <button type="button" disabled={busy} onClick={() => void load()}>
        Refresh
      </button>
    </section>
  );
}

const OUTCOME_TEXT: Record<Attempt['outcome'], string> = {
  delivered: 'delivered',
  retryable: 'failed, will retry',
  'rate-limited': 'rate-limited, deferred',
  permanent: 'failed permanently',
};

function AttemptItem({ attempt }: { attempt: Attempt }) {
  const good = attempt.outcome === 'delivered';
  return (
    <li class={`attempt attempt-${good ? 'ok' : 'bad'}`}>
      <p class="attempt-head">
        <span aria-hidden="true" class="attempt-marker">
          {good ? '✓' : '✕'}
        </span>{' '}
        <strong>
          #{attempt.sequence} {OUTCOME_TEXT[attempt.outcome]}
        </strong>{' '}
        — {attempt.statusCode === null ? 'no HTTP answer' : `HTTP ${attempt.statusCode}`}
      </p>
      <p class="subtle">
        <time dateTime={attempt.at}>{formatInstant(attempt.at)}</time>, {attempt.durationMs} ms,{' '}
        {attempt.trigger}
      </p>
      {attempt.error ? <p>Error: {attempt.error}</p> : null}
      {attempt.response ? (
        <p>
          Answer: <code>{attempt.response}</code>
        </p>
      ) : null}
    </li>
  );
}
