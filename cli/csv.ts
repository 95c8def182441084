/*
 * CSV as RFC 4180 defines it: comma-separated fields, records ended by CRLF or LF, fields in
 * double quotes may hold commas, line breaks and doubled quotes (""). Written by hand (no
 * dependency) and forgiving in one way only: a malformed record becomes an error entry and the
 * parser carries on with the next line, so one bad row never loses the rest of the file.
 */

/** One record of the file, or why one could not be read. `line` is where it starts (1-based). */
export type CsvEntry =
  | { kind: 'record'; line: number; fields: string[]; raw: string }
  | { kind: 'error'; line: number; raw: string; message: string };

const QUOTE = '"';
const COMMA = ',';

/**
 * Every record of `text`, in order, with the line it starts on. A byte-order mark is ignored;
 * empty lines are skipped (they are no record anyone meant).
 */
export function parseCsv(text: string): CsvEntry[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new LineIndex(source);
  const entries: CsvEntry[] = [];
  let position = 0;
  while (position < source.length) {
    const read = readRecord(source, position);
    const line = lines.lineAt(position);
    if (read.kind === 'record') {
      const raw = source.slice(position, read.contentEnd);
      if (!(read.fields.length === 1 && raw === ''))
        entries.push({ kind: 'record', line, fields: read.fields, raw });
    } else {
      entries.push({
        kind: 'error',
        line,
        raw: source.slice(position, read.contentEnd),
        message: read.message,
      });
    }
    position = read.next;
  }
  return entries;
}

type RecordRead =
  | { kind: 'record'; fields: string[]; contentEnd: number; next: number }
  | { kind: 'error'; message: string; contentEnd: number; next: number };

/** Reads the record starting at `start`; `next` is where the following one starts. */
function readRecord(text: string, start: number): RecordRead {
  const fields: string[] = [];
  let position = start;
  for (;;) {
    let value: string;
    if (text[position] === QUOTE) {
      const quoted = readQuoted(text, position);
      if (quoted.kind === 'unterminated') {
        return skipLine(text, start, 'a quoted field is never closed (missing ")', text.length);
      }
      value = quoted.value;
      position = quoted.next;
      if (position < text.length && text[position] !== COMMA && !isLineBreakAt(text, position)) {
        return skipLine(text, start, 'unexpected text after a closing quote (use "" for a quote)', position);
      }
    } else {
      const end = endOfUnquoted(text, position);
      value = text.slice(position, end);
      if (value.includes(QUOTE)) {
        return skipLine(
          text,
          start,
          'a quote inside an unquoted field (quote the field, double the ")',
          position,
        );
      }
      position = end;
    }
    fields.push(value);
    if (text[position] === COMMA) {
      position += 1;
      continue;
    }
    const breakLength = lineBreakLengthAt(text, position);
    return { kind: 'record', fields, contentEnd: position, next: position + breakLength };
  }
}

function readQuoted(
  text: string,
  openingQuote: number,
): { kind: 'value'; value: string; next: number } | { kind: 'unterminated' } {
  let value = '';
  let position = openingQuote + 1;
  for (;;) {
    const quote = text.indexOf(QUOTE, position);
    if (quote < 0) return { kind: 'unterminated' };
    value += text.slice(position, quote);
    if (text[quote + 1] === QUOTE) {
      value += QUOTE;
      position = quote + 2;
      continue;
    }
    return { kind: 'value', value, next: quote + 1 };
  }
}

/** Where an unquoted field that starts at `start` ends: the next comma, line break or the end. */
function endOfUnquoted(text: string, start: number): number {
  let position = start;
  while (position < text.length && text[position] !== COMMA && !isLineBreakAt(text, position)) position += 1;
  return position;
}

/**
 * A malformed record is its first physical line only, and parsing resumes on the next one: a
 * stray quote may have opened a field that runs on for many lines, and those lines are most
 * likely good rows of their own, which must not be lost with it.
 */
function skipLine(text: string, start: number, found: string, errorAt: number): RecordRead {
  const newline = text.indexOf('\n', start);
  // An error lines later lies inside a field this line's quote opened: that quote is the culprit.
  const message =
    newline >= 0 && newline < errorAt
      ? 'a quote opens a field that does not close on this line (a stray or missing ")'
      : found;
  if (newline < 0) return { kind: 'error', message, contentEnd: text.length, next: text.length };
  const contentEnd = newline > start && text[newline - 1] === '\r' ? newline - 1 : newline;
  return { kind: 'error', message, contentEnd, next: newline + 1 };
}

function isLineBreakAt(text: string, position: number): boolean {
  return lineBreakLengthAt(text, position) > 0;
}

function lineBreakLengthAt(text: string, position: number): number {
  if (text[position] === '\n') return 1;
  if (text[position] === '\r' && text[position + 1] === '\n') return 2;
  return 0;
}

/** Line numbers of positions, in O(log n) each (quoted fields may span lines). */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) {
      this.starts.push(index + 1);
    }
  }

  lineAt(position: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] ?? 0) <= position) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}

/** One CSV line (no line break) of `fields`, quoting those that need it. */
export function formatCsvLine(fields: readonly string[]): string {
  return fields
    .map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field))
    .join(',');
}
