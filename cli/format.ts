/** Small formatting helpers for human output (never used for --json, which prints raw values). */

/**
 * C0 and C1 control characters but tab and line feed. Text from the API can carry them (a webhook
 * receiver's answer, an error, a name in an imported file), and on a terminal ESC and its kin are
 * commands, not text: OSC 52 writes the clipboard, others move the cursor, clear the screen or
 * retitle the window.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\x00-\x08\x0B-\x1F\x7F-\x9F]/g;

/**
 * `text` safe to write to a terminal: every control character (ESC included) shown as an escape
 * like `\u{1b}`, so it is seen rather than obeyed. Idempotent. Every piece of human output that
 * comes from the API goes through it; --json needs nothing (see Output.result).
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => `\\u{${character.charCodeAt(0).toString(16)}}`);
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** 850 ms, 4.2 s, 3 min 20 s, 2 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * One cell of a table or a field list: printable, and on one line, so that a value holding a
 * line break cannot pass for another row (`\nstatus: delivered`).
 */
function cellText(text: string): string {
  return printable(text).replace(/[\t\n]/g, ' ');
}

/** A plain-text table: a header row, then rows, columns padded to the widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  // Escaped first, so that the widths are those of what is printed.
  const shown = [headers, ...rows].map((row) => row.map(cellText));
  const widths = headers.map((_, column) => Math.max(...shown.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return shown.map(line).join('\n');
}

/** `key: value` lines with the keys aligned. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${cellText(value)}`).join('\n');
}

/** A cell for an optional value. */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

/** Cuts `text` to one printable line of at most `max` characters. */
export function oneLine(text: string, max = 80): string {
  const flat = printable(text).replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
