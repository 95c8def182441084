import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandArgs } from '../arguments';
import type { Command, CommandContext } from '../command';
import { CliError, ExitCode, UsageError } from '../errors';
import { formatCount, formatDuration, oneLine } from '../format';
import { BulkImport, MAX_BATCH_ITEMS, type ImportTally } from '../import/bulk-import';
import { defaultFailedRowsPath, renderFailedRows, type FailedRow } from '../import/failed-rows';
import { formatOfPath, readImportInput, type ImportFormat, type ImportInput } from '../import/read-input';

/**
 * Rows per request: half the API's 1,000, so that a request stays well inside API Gateway's
 * 29 s integration timeout even where the service is slow (a loaded laptop running `npm start`).
 */
const DEFAULT_BATCH_SIZE = 500;
/** Batches in flight: the API applies each batch 8 rows at a time, so 2 keep it busy. */
const DEFAULT_CONCURRENCY = 2;
const MAX_CONCURRENCY = 8;
/** Failed rows listed in the human summary; the file has them all. */
const SHOWN_FAILURES = 10;

export const usersImport: Command = {
  group: 'users',
  name: 'import',
  summary: 'import users from a CSV or JSON file through the bulk API',
  arguments: '<file.csv|file.json>',
  description: [
    'CSV: a header row naming the columns firstName, lastName, birthday, timezone and optionally id',
    '(any case, spaces or underscores; columns starting with _ are ignored), RFC 4180 quoting.',
    'JSON: an array of users as POST /v1/users takes them (an exported page {"items": […]} works too).',
    'Rows go to POST /v1/users/bulk in batches (500 rows, 2 at a time). A row with an id is an upsert; a row',
    "without one is created under an id derived from the SHA-256 of the file's bytes and its row number.",
    'So importing the same, unchanged file again creates no one twice (rows already there count as',
    '"already existed"), but a changed file (one typo fixed, re-saved with CRLF line ends) is another',
    'file: every row without an id gets a new id, and is created again.',
    'Every row that fails, locally (bad CSV) or at the API (the field it names), is written to the',
    'failed-rows file with its id (its own, or the derived one), so the fixed file can be imported',
    'as it is, as often as needed, without creating anyone twice. Exit code 1 when any row failed.',
  ].join('\n'),
  options: {
    'failed-rows': {
      type: 'string',
      value: '<path>',
      description: 'where failed rows go (default: <input name>.failed.csv or .json next to the input)',
    },
    format: {
      type: 'string',
      value: 'csv|json',
      description: 'the input format when the file name does not say',
    },
    'batch-size': {
      type: 'string',
      value: '<n>',
      description: `rows per request, 1..${MAX_BATCH_ITEMS} (default ${DEFAULT_BATCH_SIZE})`,
    },
    concurrency: {
      type: 'string',
      value: '<n>',
      description: `batches in flight at once, 1..${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})`,
    },
    'dry-run': { type: 'boolean', description: 'read and check the file locally; send nothing' },
  },
  examples: [
    'occasions users import users.csv',
    'occasions users import users.json --json > summary.json',
    'occasions users import users.failed.csv        # after fixing the rows that failed',
  ],
  run: async (context, args) => runImport(context, args),
};

async function runImport(context: CommandContext, args: CommandArgs): Promise<ExitCode> {
  const [file, ...extra] = args.positionals;
  if (file === undefined || extra.length > 0) throw args.usage('give exactly one file to import');
  const path = resolve(context.cwd, file);
  const format = args.choice<ImportFormat>('format', ['csv', 'json']) ?? formatOfPath(path);
  const batchSize = args.integer('batch-size', 1, MAX_BATCH_ITEMS) ?? DEFAULT_BATCH_SIZE;
  const concurrency = args.integer('concurrency', 1, MAX_CONCURRENCY) ?? DEFAULT_CONCURRENCY;
  const input = readImportInput(await readInputFile(path, file), format);
  const failedRowsPath = resolve(
    context.cwd,
    args.string('failed-rows') ?? defaultFailedRowsPath(path, input.format),
  );
  // Before anything is sent: the failed rows would overwrite the very file being imported.
  if (await sameFile(path, failedRowsPath)) {
    throw args.usage(
      `--failed-rows names the input file itself (${file}): give another path, the failed rows would overwrite it`,
    );
  }
  const { out } = context;
  const startedAt = context.now();

  if (args.flag('dry-run')) {
    const failed = input.rows
      .filter((row) => row.problems.length > 0)
      .map((row) => ({ row, problems: row.problems }));
    const written = await writeFailedRows(failedRowsPath, input, failed);
    const summary = {
      file,
      dryRun: true,
      rows: input.rows.length,
      valid: input.rows.length - failed.length,
      failed: failed.length,
      failedRowsFile: failed.length > 0 && written.ok ? failedRowsPath : null,
    };
    const again = 'run the dry run again with --failed-rows <a writable path> to get them';
    return finish(context, written, again, summary, () =>
      [
        `${file}: ${formatCount(summary.rows)} rows, ${formatCount(summary.valid)} well-formed, ${formatCount(failed.length)} not (nothing was sent)`,
        ...failureLines(failed, written),
      ].join('\n'),
    );
  }

  const client = context.api();
  const progress = out.progress('importing users', input.rows.length);
  const importer = new BulkImport(input, {
    client,
    batchSize,
    concurrency,
    onProgress: (handled, tally) => {
      progress.update(handled, tally.failed > 0 ? `${formatCount(tally.failed)} failed` : undefined);
    },
  });
  try {
    await importer.run();
  } catch (error) {
    // Stopped by an error of the API or the network: keep what is known, then let it be reported.
    progress.interrupt();
    const written = await writeFailedRows(failedRowsPath, input, importer.failed);
    // The error that stopped the import is the one reported; this one is said on the way.
    if (!written.ok) out.error(`${written.message}; the failed rows known so far are not saved`);
    out.note(
      `stopped: ${describeTally(importer.tally)}; importing the same, unchanged file again is safe (no duplicates)`,
    );
    throw error;
  }
  progress.finish();
  const written = await writeFailedRows(failedRowsPath, input, importer.failed);
  const durationMs = Math.round(context.now() - startedAt);
  const { tally } = importer;
  const summary = {
    file,
    ...tally,
    failedRowsFile: tally.failed > 0 && written.ok ? failedRowsPath : null,
    durationMs,
  };
  const again =
    'import the same, unchanged file again with --failed-rows <a writable path> to get them (it creates no one twice)';
  return finish(context, written, again, summary, () =>
    humanSummary(file, tally, durationMs, importer.failed, written),
  );
}

/**
 * Prints the summary and picks the exit code. A failed-rows file that could not be written comes
 * after the import did its work: the summary is still printed (with --json, inside the error,
 * so that stdout stays one document), then the error, saying how to get the file (`again`),
 * exit code 1 (rows failed: else there was nothing to write).
 */
function finish(
  context: CommandContext,
  written: Written,
  again: string,
  summary: { failed: number },
  human: () => string,
): ExitCode {
  if (written.ok) {
    context.out.result(summary, human);
    return summary.failed > 0 ? ExitCode.partialFailure : ExitCode.ok;
  }
  if (!context.out.options.json) context.out.result(summary, human);
  const message = `${written.message}; the failed rows (${formatCount(summary.failed)}, counted in the summary) are not saved: ${again}`;
  throw new CliError(message, ExitCode.partialFailure, { summary });
}

/** Whether two paths name one file (a link or another spelling included). */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  try {
    const [first, second] = await Promise.all([stat(a), stat(b)]);
    return first.dev === second.dev && first.ino === second.ino;
  } catch {
    return false; // the failed-rows file does not exist yet: it cannot be the input
  }
}

async function readInputFile(path: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code || String(error);
    throw new UsageError(`cannot read ${shown}: ${why}`);
  }
}

/** Whether the failed-rows file was written (or had nothing to hold), and why not. */
type Written = { ok: true; path: string } | { ok: false; path: string; message: string };

/**
 * Written only when rows failed (an earlier file is left alone otherwise). An error of the file
 * system is returned, not thrown: the import is done by then, and its summary must still show.
 */
async function writeFailedRows(
  path: string,
  input: ImportInput,
  failed: readonly FailedRow[],
): Promise<Written> {
  if (failed.length === 0) return { ok: true, path };
  try {
    await writeFile(path, renderFailedRows(input, failed), 'utf8');
    return { ok: true, path };
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const why = WRITE_ERRORS[code] ?? (error instanceof Error ? error.message : String(error));
    return {
      ok: false,
      path,
      message: `cannot write the failed-rows file ${path}: ${code ? `${code}, ` : ''}${why}`,
    };
  }
}

/** The usual reasons, in words (the OS code is shown beside them). */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of its path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

function humanSummary(
  file: string,
  tally: ImportTally,
  durationMs: number,
  failed: readonly FailedRow[],
  written: Written,
): string {
  const rows: [string, number][] = [
    ['created', tally.created],
    ['already existed or updated', tally.alreadyExisted + tally.updated],
    ['failed', tally.failed],
  ];
  const width = Math.max(...rows.map(([, count]) => formatCount(count).length));
  return [
    `Imported ${file}: ${formatCount(tally.rows)} rows in ${formatDuration(durationMs)}`,
    ...rows.map(([label, count]) => `  ${label.padEnd(28)}${formatCount(count).padStart(width)}`),
    ...failureLines(failed, written),
  ].join('\n');
}

function failureLines(failed: readonly FailedRow[], written: Written): string[] {
  if (failed.length === 0) return [];
  const sorted = [...failed].sort((a, b) => a.row.row - b.row.row);
  // The API's messages may quote the row: one printable line each.
  const lines = sorted
    .slice(0, SHOWN_FAILURES)
    .map(
      ({ row, problems }) =>
        `  row ${row.row}: ${oneLine(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '), 200)}`,
    );
  if (failed.length > SHOWN_FAILURES)
    lines.push(`  … and ${formatCount(failed.length - SHOWN_FAILURES)} more`);
  const where = written.ok ? `all of them in ${written.path}` : 'the failed-rows file could not be written';
  return [`Failed rows (${where}):`, ...lines];
}

function describeTally(tally: ImportTally): string {
  const handled = tally.created + tally.updated + tally.alreadyExisted + tally.failed;
  return `${formatCount(handled)} of ${formatCount(tally.rows)} rows handled (${formatCount(tally.created)} created, ${formatCount(tally.failed)} failed)`;
}
