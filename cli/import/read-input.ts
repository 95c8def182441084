import { createHash } from 'node:crypto';
import { parseCsv } from '../csv';
import { UsageError } from '../errors';

/** Why one row cannot be imported, naming the field (`birthday`) or `row` for the whole row. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A row to send: the profile, and the user's id when the file gives one (then it is an upsert). */
export interface ImportOperation {
  id: string | undefined;
  user: Record<string, unknown>;
}

/** What the failed-rows file repeats of a row: its CSV fields, its raw text, or its JSON item. */
export type RowOriginal =
  | { kind: 'csv'; fields: readonly string[] }
  | { kind: 'csv-raw'; raw: string }
  | { kind: 'json'; item: unknown };

export interface InputRow {
  /** CSV: the line the record starts on (the header is line 1); JSON: the item's position, from 1. */
  row: number;
  original: RowOriginal;
  /** Set when the row is well-formed locally; the API still validates it. */
  operation: ImportOperation | undefined;
  /** Local problems (bad CSV, not an object); a row with any is not sent. */
  problems: FieldProblem[];
}

export interface ImportInput {
  format: 'csv' | 'json';
  /** The CSV header as written (for the failed-rows file); empty for JSON. */
  columns: readonly string[];
  rows: InputRow[];
  /** SHA-256 of the file's bytes: the seed of the batches' Idempotency-Keys and of the user ids. */
  contentHash: string;
}

export type ImportFormat = ImportInput['format'];

/** The profile fields of POST /v1/users, which CSV columns map to. */
export const USER_FIELDS = ['firstName', 'lastName', 'birthday', 'timezone'] as const;
/** Read-only fields of a user as the API shows it: dropped, so an export imports as it is. */
const READ_ONLY_FIELDS = new Set([
  'createdAt',
  'updatedAt',
  'version',
  'nextNotificationAt',
  'nextNotificationLocalDate',
]);
const ID_FIELD = 'id';

/** The format a file name suggests; undefined when it says nothing. */
export function formatOfPath(path: string): ImportFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.json$/i.test(path)) return 'json';
  return undefined;
}

/** Reads an import file. A problem with the file as a whole (header, not JSON) is a usage error. */
export function readImportInput(bytes: Buffer, format: ImportFormat | undefined): ImportInput {
  const text = bytes.toString('utf8');
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  const chosen = format ?? (/^\uFEFF?\s*[[{]/.test(text) ? 'json' : 'csv');
  return chosen === 'csv' ? readCsv(text, contentHash) : readJson(text, contentHash);
}

function readCsv(text: string, contentHash: string): ImportInput {
  const entries = parseCsv(text);
  const header = entries.shift();
  if (!header)
    throw new UsageError(
      'the CSV file is empty: it needs a header row (firstName,lastName,birthday,timezone)',
    );
  if (header.kind === 'error')
    throw new UsageError(`the CSV header (line ${header.line}) is malformed: ${header.message}`);
  const columns = header.fields.map((field) => field.trim());
  const fieldOfColumn = mapColumns(columns);

  const rows = entries.map((entry): InputRow => {
    if (entry.kind === 'error') {
      return {
        row: entry.line,
        original: { kind: 'csv-raw', raw: entry.raw },
        operation: undefined,
        problems: [{ field: 'row', message: entry.message }],
      };
    }
    if (entry.fields.length !== columns.length) {
      return {
        row: entry.line,
        original: { kind: 'csv-raw', raw: entry.raw },
        operation: undefined,
        problems: [
          {
            field: 'row',
            message: `${entry.fields.length} fields where the header has ${columns.length} (an unquoted comma?)`,
          },
        ],
      };
    }
    const user: Record<string, unknown> = {};
    let id: string | undefined;
    entry.fields.forEach((value, index) => {
      const field = fieldOfColumn[index];
      // Spreadsheets leave stray spaces around values; no name, date or zone means them.
      if (field === ID_FIELD) id = value.trim().toLowerCase() || undefined;
      else if (field !== undefined) user[field] = value.trim();
    });
    return {
      row: entry.line,
      original: { kind: 'csv', fields: entry.fields },
      operation: { id, user },
      problems: [],
    };
  });
  return { format: 'csv', columns, rows, contentHash };
}

/**
 * Which field each column fills (undefined: ignored). Names match whatever their case and
 * separators (`First Name`, `first_name`); columns starting with `_` are notes and ignored, so a
 * failed-rows file, once fixed, imports as it is.
 */
function mapColumns(columns: readonly string[]): (string | undefined)[] {
  const known = new Map<string, string>([...USER_FIELDS, ID_FIELD].map((field) => [squash(field), field]));
  const seen = new Set<string>();
  const mapped = columns.map((column) => {
    if (column.startsWith('_')) return undefined;
    const field = known.get(squash(column));
    if (!field) {
      throw new UsageError(
        `unknown CSV column "${column}": the columns are ${USER_FIELDS.join(', ')} and optionally id (columns starting with _ are ignored)`,
      );
    }
    if (seen.has(field)) throw new UsageError(`the CSV column ${field} appears twice`);
    seen.add(field);
    return field;
  });
  const missing = USER_FIELDS.filter((field) => !seen.has(field));
  if (missing.length > 0) {
    throw new UsageError(
      `the CSV header lacks ${missing.join(', ')} (it has: ${columns.join(', ') || 'nothing'})`,
    );
  }
  return mapped;
}

/** Whether a CSV column gives the user's id (`id`, `ID`, `_id` not: notes are ignored). */
export function isIdColumn(column: string): boolean {
  return !column.startsWith('_') && squash(column) === ID_FIELD;
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function readJson(text: string, contentHash: string): ImportInput {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    throw new UsageError(
      `the file is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // A GET /v1/users page ({"items": [...]}) imports as well as a bare array.
  const items = Array.isArray(document) ? document : itemsOf(document);
  if (!items) throw new UsageError('the JSON file must hold an array of users (or {"items": [...]})');
  const rows = items.map((item: unknown, index): InputRow => {
    const row = index + 1;
    const original: RowOriginal = { kind: 'json', item };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return {
        row,
        original,
        operation: undefined,
        problems: [{ field: 'row', message: 'each user must be a JSON object' }],
      };
    }
    const user: Record<string, unknown> = {};
    let id: string | undefined;
    for (const [key, value] of Object.entries(item)) {
      if (key.startsWith('_') || READ_ONLY_FIELDS.has(key)) continue;
      if (key !== ID_FIELD) user[key] = value;
      else if (typeof value === 'string') id = value.trim().toLowerCase() || undefined;
      else
        return {
          row,
          original,
          operation: undefined,
          problems: [{ field: 'id', message: 'id must be a string (a user id)' }],
        };
    }
    return { row, original, operation: { id, user }, problems: [] };
  });
  return { format: 'json', columns: [], rows, contentHash };
}

function itemsOf(document: unknown): unknown[] | undefined {
  if (typeof document !== 'object' || document === null || !('items' in document)) return undefined;
  return Array.isArray(document.items) ? (document.items as unknown[]) : undefined;
}
