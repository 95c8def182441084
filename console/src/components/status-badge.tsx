import type { CircuitState, NotificationStatus } from '../api/types';

/*
 * A state as a badge: a symbol and the word itself next to the colour, so it reads the same
 * without colour (and in a screen reader, which reads the word).
 */

const NOTIFICATION_SYMBOLS: Record<NotificationStatus, string> = {
  queued: '◷',
  sending: '↗',
  retrying: '↻',
  delivered: '✓',
  failed: '✕',
  cancelled: '⊘',
  skipped: '»',
};

export function NotificationStatusBadge({ status }: { status: NotificationStatus | null }) {
  if (status === null) return <span class="badge badge-unknown">gone</span>;
  return (
    <span class={`badge badge-${status}`}>
      <span aria-hidden="true">{NOTIFICATION_SYMBOLS[status]} </span>
      {status}
    </span>
  );
}

const CIRCUIT_SYMBOLS: Record<CircuitState, string> = { closed: '●', 'half-open': '◐', open: '○' };

export function CircuitStateBadge({ state }: { state: CircuitState }) {
  return (
    <span class={`badge badge-circuit-${state}`}>
      <span aria-hidden="true">{CIRCUIT_SYMBOLS[state]} </span>
      {state}
    </span>
  );
}
