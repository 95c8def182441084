import { basename, dirname, extname, join } from 'node:path';
import { formatCsvLine } from '../csv';
import type { FieldProblem, ImportInput, InputRow } from './read-input';

export interface FailedRow {
  row: InputRow;
  problems: FieldProblem[];
}

/** `users.csv` → `users.failed.csv`, next to it (`.json` for JSON input). */
export function defaultFailedRowsPath(inputPath: string, format: ImportInput['format']): string {
  const name = basename(inputPath, extname(inputPath));
  return join(dirname(inputPath), `${name}.failed.${format}`);
}

/**
 * The failed-rows file, in the input's format, so that it can be fixed and imported as it is:
 * CSV gets `_row,_field,_error,_raw` in front of the input's columns (columns starting with `_`
 * are ignored on import; `_raw` holds a record that could not be split into columns), JSON gets
 * `_row` and `_errors` in each item.
 */
export function renderFailedRows(input: ImportInput, failed: readonly FailedRow[]): string {
  const sorted = [...failed].sort((a, b) => a.row.row - b.row.row);
  return input.format === 'csv' ? renderCsv(input.columns, sorted) : renderJson(sorted);
}

function renderCsv(columns: readonly string[], failed: readonly FailedRow[]): string {
  // Notes of an earlier failed-rows file are not repeated: this file has its own.
  const kept = columns
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => !column.startsWith('_'));
  const lines = [formatCsvLine(['_row', '_field', '_error', '_raw', ...kept.map(({ column }) => column)])];
  for (const { row, problems } of failed) {
    const original = row.original;
    const values = kept.map(({ index }) => (original.kind === 'csv' ? (original.fields[index] ?? '') : ''));
    lines.push(
      formatCsvLine([
        String(row.row),
        problems.map((problem) => problem.field).join(';'),
        problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '),
        original.kind === 'csv-raw' ? original.raw : '',
        ...values,
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderJson(failed: readonly FailedRow[]): string {
  const items = failed.map(({ row, problems }) => {
    const item = row.original.kind === 'json' ? row.original.item : undefined;
    const notes = { _row: row.row, _errors: problems };
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const fields = Object.fromEntries(Object.entries(item).filter(([key]) => !key.startsWith('_')));
      return { ...notes, ...fields };
    }
    return { ...notes, _raw: item };
  });
  return `${JSON.stringify(items, null, 2)}\n`;
}
