import { formatCount, formatDuration, printable } from './format';

/** What one progress line shows. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Real time since the work started, for the rate and the estimate. */
  elapsedMs: number;
  /** Extra words after the numbers (`12 failed`). */
  note?: string;
}

const FILLED = '█';
const EMPTY = '░';
/** Width of the bar itself when the terminal leaves room for it. */
const MAX_BAR_WIDTH = 30;
const MIN_BAR_WIDTH = 10;

/**
 * The line a terminal shows: `label [████░░░░] 2,000/5,000  40%  1,000/s  ETA 3.0 s  note`,
 * cut to `columns` (the bar shrinks first, then the line is truncated).
 */
export function renderProgressBar(state: ProgressState, columns: number): string {
  const numbers = progressNumbers(state);
  // ' [', '] ' and one spare column: a line exactly as wide as the terminal wraps on some.
  const room = columns - state.label.length - numbers.length - 5;
  const barWidth = Math.min(MAX_BAR_WIDTH, room);
  if (barWidth < MIN_BAR_WIDTH) return `${state.label} ${numbers}`.slice(0, Math.max(0, columns - 1));
  const filled = Math.round(barWidth * fraction(state));
  return `${state.label} [${FILLED.repeat(filled)}${EMPTY.repeat(barWidth - filled)}] ${numbers}`;
}

/** The line a log (stderr not a terminal) gets: the same numbers, no bar. */
export function renderProgressLine(state: ProgressState): string {
  return `${state.label}: ${progressNumbers(state)}`;
}

function progressNumbers(state: ProgressState): string {
  const parts = [
    `${formatCount(state.done)}/${formatCount(state.total)}`,
    `${Math.floor(fraction(state) * 100)}%`,
  ];
  const perSecond = state.elapsedMs > 0 ? (state.done * 1_000) / state.elapsedMs : 0;
  if (state.done > 0 && state.elapsedMs >= 1_000) parts.push(`${formatCount(Math.round(perSecond))}/s`);
  if (state.done > 0 && state.done < state.total && state.elapsedMs >= 1_000) {
    parts.push(`ETA ${formatDuration(((state.total - state.done) / perSecond) * 1_000)}`);
  }
  if (state.note) parts.push(state.note);
  return parts.join('  ');
}

function fraction(state: ProgressState): number {
  if (state.total <= 0) return 1;
  return Math.min(1, Math.max(0, state.done / state.total));
}

/** Where progress goes: stderr, and whether it is a terminal. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
  columns: number;
}

/** How often each kind of output is refreshed, in ms of real time. */
const TERMINAL_REFRESH_MS = 100;
const LOG_REFRESH_MS = 5_000;
/** A log line also comes every time this much more of the work is done. */
const LOG_STEP_FRACTION = 0.1;

/**
 * Progress on stderr: a bar redrawn in place on a terminal (at most 10 times a second), plain
 * lines otherwise (every 10 % or 5 s, so CI logs stay short). Silent when disabled (--quiet).
 */
export class ProgressReporter {
  private state: ProgressState;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private lastLoggedFraction = 0;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink | undefined,
    label: string,
    total: number,
    private readonly now: () => number,
    private readonly startedAt = now(),
  ) {
    // The label and notes may quote the API (a job id, its status): shown, never obeyed.
    this.state = { label: printable(label), done: 0, total, elapsedMs: 0 };
  }

  update(done: number, note?: string, total = this.state.total): void {
    this.state = { ...this.state, done, total, elapsedMs: this.now() - this.startedAt, note: shown(note) };
    const sink = this.sink;
    if (!sink) return;
    const at = this.now();
    if (sink.isTTY) {
      if (at - this.lastDrawAt < TERMINAL_REFRESH_MS && done < total) return;
      sink.write(`\r${renderProgressBar(this.state, sink.columns)}\x1b[K`);
      this.drawn = true;
    } else {
      const doneFraction = fraction(this.state);
      const stepped = doneFraction - this.lastLoggedFraction >= LOG_STEP_FRACTION;
      if (!stepped && at - this.lastDrawAt < LOG_REFRESH_MS) return;
      this.lastLoggedFraction = doneFraction;
      sink.write(`${renderProgressLine(this.state)}\n`);
    }
    this.lastDrawAt = at;
  }

  /** Draws the final state and leaves the cursor on a fresh line. */
  finish(note?: string): void {
    const sink = this.sink;
    this.state = { ...this.state, elapsedMs: this.now() - this.startedAt, note: shown(note) };
    if (!sink) return;
    if (sink.isTTY) {
      sink.write(`\r${renderProgressBar(this.state, sink.columns)}\x1b[K\n`);
    } else if (this.lastLoggedFraction < 1 || this.state.done === 0) {
      sink.write(`${renderProgressLine(this.state)}\n`);
    }
    this.drawn = false;
  }

  /** Moves off the bar before other output (a warning) is written to the same stream. */
  interrupt(): void {
    if (this.sink?.isTTY && this.drawn) this.sink.write('\n');
    this.drawn = false;
  }
}

function shown(note: string | undefined): string | undefined {
  return note === undefined ? undefined : printable(note);
}
