import type { NoticeTone } from '../context';

export interface Notice {
  text: string;
  tone: NoticeTone;
  /** Changes with every message, so the same text twice is read out twice. */
  seq: number;
}

/**
 * The console's status line: both live regions are always in the page (screen readers only
 * announce changes of regions that already exist); errors go to the assertive one.
 */
export function StatusLine({ notice }: { notice: Notice | undefined }) {
  const isError = notice?.tone === 'error';
  return (
    <div class="status-line">
      <p
        role="status"
        aria-live="polite"
        class={notice && !isError ? `notice notice-${notice.tone}` : 'notice'}
      >
        {notice && !isError ? <span key={notice.seq}>{notice.text}</span> : null}
      </p>
      <p role="alert" class={isError ? 'notice notice-error' : 'notice'}>
        {isError ? (
          <span key={notice.seq}>
            <span aria-hidden="true">⚠ </span>
            {notice.text}
          </span>
        ) : null}
      </p>
    </div>
  );
}
