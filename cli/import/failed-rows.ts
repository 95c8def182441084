import { basename, dirname, extname, join } from 'node:path';
import { formatCsvLine } from '../csv';
import { isIdColumn, type FieldProblem, type ImportInput, type InputRow } from './read-input';
import { derivedUserId } from './user-ids';

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
 *
 * Each row also carries its id (an `id` column or field): its own, or the one derived from the
 * input file it was to be created under. The fixed file is another file, whose rows would get
 * other derived ids; with the id written down, each of its rows is an upsert of that one id, so
 * importing it (again, or once more after another fix) never creates anyone twice.
 */
export function renderFailedRows(input: ImportInput, failed: readonly FailedRow[]): string {
  const sorted = [...failed].sort((a, b) => a.row.row - b.row.row);
  const idOf = (row: InputRow): string => row.operation?.id ?? derivedUserId(input.contentHash, row.row);
  return input.format === 'csv' ? renderCsv(input.columns, sorted, idOf) : renderJson(sorted, idOf);
}

function renderCsv(
  columns: readonly string[],
  failed: readonly FailedRow[],
  idOf: (row: InputRow) => string,
): string {
  // Notes of an earlier failed-rows file are not repeated: this file has its own.
  const kept = columns
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => !column.startsWith('_'));
  const idColumn = kept.findIndex(({ column }) => isIdColumn(column));
  const header = [...kept.map(({ column }) => column), ...(idColumn < 0 ? ['id'] : [])];
  const lines = [formatCsvLine(['_row', '_field', '_error', '_raw', ...header])];
  for (const { row, problems } of failed) {
    const original = row.original;
    const values = kept.map(({ index }) => (original.kind === 'csv' ? (original.fields[index] ?? '') : ''));
    if (idColumn < 0) values.push(idOf(row));
    else values[idColumn] = idOf(row);
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

function renderJson(failed: readonly FailedRow[], idOf: (row: InputRow) => string): string {
  const items = failed.map(({ row, problems }) => {
    const item = row.original.kind === 'json' ? row.original.item : undefined;
    const notes = { _row: row.row, _errors: problems };
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const fields = Object.fromEntries(Object.entries(item).filter(([key]) => !key.startsWith('_')));
      // An id of the item's own stays as it is, even one that is not a string: it is the error to fix.
      return 'id' in fields ? { ...notes, ...fields } : { ...notes, id: idOf(row), ...fields };
    }
    return { ...notes, id: idOf(row), _raw: item };
  });
  return `${JSON.stringify(items, null, 2)}\n`;
}
