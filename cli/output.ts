import { printable } from './format';
import { ProgressReporter } from './progress';

/** The process's streams, injectable so that tests can read what a command wrote. */
export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/**
 * Where a command's output goes. The result goes to stdout (JSON with --json, text otherwise);
 * progress, notes and warnings go to stderr, so `--json | jq` always sees clean JSON. Text for
 * people goes through `printable` here too, whatever the command did: messages quote the API.
 */
export class Output {
  constructor(
    private readonly streams: Streams,
    readonly options: { json: boolean; quiet: boolean },
    private readonly now: () => number,
  ) {}

  /** The command's result: `json` with --json, `human` text otherwise. */
  result(json: unknown, human: () => string): void {
    if (this.options.json) this.streams.stdout.write(`${jsonText(json)}\n`);
    else {
      const text = printable(human());
      if (text) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Something worth knowing on the way (not the result); silenced by --quiet. */
  note(message: string): void {
    if (!this.options.quiet) this.streams.stderr.write(`${printable(message)}\n`);
  }

  /** A problem the command survives; silenced by --quiet. */
  warn(message: string): void {
    if (!this.options.quiet) this.streams.stderr.write(`warning: ${printable(message)}\n`);
  }

  /** Why the command failed; always shown. */
  error(message: string): void {
    this.streams.stderr.write(`error: ${printable(message)}\n`);
  }

  /** The `{"error": …}` document --json prints on stdout when a command fails. */
  errorResult(json: unknown): void {
    if (this.options.json) this.streams.stdout.write(`${jsonText({ error: json })}\n`);
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

/**
 * `value` as pretty JSON. JSON.stringify escapes C0 controls (ESC is `\u001b`) but writes DEL and
 * the C1 controls as they are, which some terminals obey: they are escaped too (`\u009b`). Only
 * inside strings can they occur, so the document still parses to exactly the same value.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\x7F-\x9F]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
