import { ProgressReporter } from './progress';

/** The process's streams, injectable so that tests can read what a command wrote. */
export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/**
 * Where a command's output goes. The result goes to stdout (JSON with --json, text otherwise);
 * progress, notes and warnings go to stderr, so `--json | jq` always sees clean JSON.
 */
export class Output {
  constructor(
    private readonly streams: Streams,
    readonly options: { json: boolean; quiet: boolean },
    private readonly now: () => number,
  ) {}

  /** The command's result: `json` with --json, `human` text otherwise. */
  result(json: unknown, human: () => string): void {
    if (this.options.json) this.streams.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Something worth knowing on the way (not the result); silenced by --quiet. */
  note(message: string): void {
    if (!this.options.quiet) this.streams.stderr.write(`${message}\n`);
  }

  /** A problem the command survives; silenced by --quiet. */
  warn(message: string): void {
    if (!this.options.quiet) this.streams.stderr.write(`warning: ${message}\n`);
  }

  /** Why the command failed; always shown. */
  error(message: string): void {
    this.streams.stderr.write(`error: ${message}\n`);
  }

  /** The `{"error": …}` document --json prints on stdout when a command fails. */
  errorResult(json: unknown): void {
    if (this.options.json) this.streams.stdout.write(`${JSON.stringify({ error: json }, null, 2)}\n`);
  }

  progress(label: string, total: number): ProgressReporter {
    const stderr = this.streams.stderr;
    const sink = this.options.quiet
      ? undefined
      : {
          write: (text: string) => stderr.write(text),
          isTTY: stderr.isTTY === true,
          // A terminal that reports no size (0) gets the classic 80 columns.
          columns: stderr.columns || 80,
        };
    return new ProgressReporter(sink, label, total, this.now);
  }
}
