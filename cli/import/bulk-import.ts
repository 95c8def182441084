import { createHash } from 'node:crypto';
import type { BulkAnswer, BulkResult } from '#api/answer-types';
import type { ApiClient } from '../http-client';
import type { FailedRow } from './failed-rows';
import type { FieldProblem, ImportInput, InputRow } from './read-input';
import { derivedUserId } from './user-ids';

export const BULK_PATH = '/v1/users/bulk';
/** The API's limits: 1,000 operations and 1 MiB per request; batches stay under both. */
export const MAX_BATCH_ITEMS = 1_000;
const MAX_BATCH_BYTES = 900 * 1024;
/** Rounds for operations the API answered 500 ("not done, retry it") or 409 on an upsert (busy). */
const MAX_ROUNDS = 3;

export interface ImportTally {
  rows: number;
  created: number;
  /** Upserts (rows with an id) that replaced a user. */
  updated: number;
  /** Rows an earlier run already imported (409 on their id, or a batch the API replayed). */
  alreadyExisted: number;
  failed: number;
  /** Batches whose Idempotency-Key the API had already seen (it answered the first answer). */
  replayedBatches: number;
}

interface Operation {
  row: InputRow;
  item: { op: 'create' | 'upsert'; id: string; user: Record<string, unknown> };
}

/**
 * Sends an import file's rows to POST /v1/users/bulk in batches and accounts for every row.
 *
 * Re-running the same file never duplicates a user: each batch carries an Idempotency-Key
 * derived from the file's hash, the batch and its body (a repeat within 24 h gets the first
 * answer back), and each row without an id is created under an id derived from the file's hash
 * and its row number (a repeat at any later time gets 409: already there). Rows with an id are
 * upserts. `tally` and `failed` stay readable when `run` throws (an auth or network error), so
 * the caller can report how far it got.
 */
export class BulkImport {
  readonly tally: ImportTally;
  readonly failed: FailedRow[] = [];
  private handled = 0;

  constructor(
    private readonly input: ImportInput,
    private readonly deps: {
      client: ApiClient;
      batchSize: number;
      /** Batches in flight at once. */
      concurrency: number;
      /** After each batch: rows accounted for so far. */
      onProgress: (handled: number, tally: ImportTally) => void;
    },
  ) {
    this.tally = {
      rows: input.rows.length,
      created: 0,
      updated: 0,
      alreadyExisted: 0,
      failed: 0,
      replayedBatches: 0,
    };
  }

  async run(): Promise<void> {
    const operations: Operation[] = [];
    for (const row of this.input.rows) {
      if (row.operation === undefined || row.problems.length > 0) this.fail(row, row.problems);
      else operations.push({ row, item: this.itemOf(row, row.operation.id, row.operation.user) });
    }
    this.deps.onProgress(this.handled, this.tally);
    const batches = planBatches(operations, this.deps.batchSize);
    // The API orders operations on one id within a batch only: a file that names an id twice
    // goes one batch at a time, so its rows apply in file order.
    const concurrency = hasRepeatedIds(operations) ? 1 : this.deps.concurrency;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batches.length) {
        const index = next;
        next += 1;
        await this.sendBatch(batches[index] ?? [], `b${index}`);
        this.deps.onProgress(this.handled, this.tally);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, lane));
  }

  private itemOf(row: InputRow, id: string | undefined, user: Record<string, unknown>): Operation['item'] {
    return id === undefined
      ? { op: 'create', id: derivedUserId(this.input.contentHash, row.row), user }
      : { op: 'upsert', id, user };
  }

  private async sendBatch(batch: readonly Operation[], label: string): Promise<void> {
    let pending = batch;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round += 1) {
      const body = { items: pending.map((operation) => operation.item) };
      const response = await this.deps.client.post<BulkAnswer>(BULK_PATH, {
        body,
        idempotencyKey: this.idempotencyKey(label, round, body),
        accept: [413],
      });
      if (response.status === 413) {
        await this.splitTooLarge(pending, label);
        return;
      }
      // The first answer of an earlier run: its rows are not new. After a try of ours that may
      // have been applied (a timeout, a 5xx), the replayed answer may be that try's own: its rows
      // are new. Waits on 429 or on a 409 "still running" are no such try: the API did nothing.
      const replayed =
        response.headers.get('idempotent-replayed') === 'true' && response.uncertainTries === 0;
      if (replayed) this.tally.replayedBatches += 1;
      const again: Operation[] = [];
      pending.forEach((operation, position) => {
        const result = response.body.results[position];
        if (!result)
          this.fail(operation.row, [{ field: 'row', message: 'the API gave no result for this row' }]);
        else if (this.account(operation, result, replayed) === 'again') again.push(operation);
      });
      pending = again;
    }
    for (const operation of pending) {
      this.fail(operation.row, [
        { field: 'row', message: `the API could not apply it after ${MAX_ROUNDS} tries (retry the import)` },
      ]);
    }
  }

  /** Books one result; 'again' when the operation should be sent once more. */
  private account(operation: Operation, result: BulkResult, replayed: boolean): 'done' | 'again' {
    const { op } = operation.item;
    if (result.status === 201 || result.status === 200) {
      // A replayed answer reports the first run's work: nothing was created now.
      if (replayed) this.tally.alreadyExisted += 1;
      else if (result.status === 201) this.tally.created += 1;
      else this.tally.updated += 1;
      this.handled += 1;
      return 'done';
    }
    if (result.status === 409 && op === 'create') {
      this.tally.alreadyExisted += 1;
      this.handled += 1;
      return 'done';
    }
    if (result.status === 500 || result.status === 409) return 'again';
    this.fail(operation.row, problemsOf(result));
    return 'done';
  }

  /** A 413 despite the byte budget: halve the batch; a single row that is too large fails. */
  private async splitTooLarge(pending: readonly Operation[], label: string): Promise<void> {
    if (pending.length === 1) {
      const [only] = pending;
      if (only)
        this.fail(only.row, [{ field: 'row', message: 'the row is larger than the API accepts (1 MiB)' }]);
      return;
    }
    const half = Math.ceil(pending.length / 2);
    await this.sendBatch(pending.slice(0, half), `${label}a`);
    await this.sendBatch(pending.slice(half), `${label}b`);
  }

  /**
   * The batch's Idempotency-Key: the file, the batch, the round and a digest of the body, so a
   * repeat of the same import replays, and nothing else can collide with it (another body under
   * the same key would be a 422).
   */
  private idempotencyKey(label: string, round: number, body: unknown): string {
    const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    return `occasions-import-${this.input.contentHash.slice(0, 16)}-${label}-r${round}-${digest.slice(0, 16)}`;
  }

  private fail(row: InputRow, problems: readonly FieldProblem[]): void {
    this.failed.push({ row, problems: [...problems] });
    this.tally.failed += 1;
    this.handled += 1;
  }
}

function hasRepeatedIds(operations: readonly Operation[]): boolean {
  const ids = operations.map((operation) => operation.item.id);
  return new Set(ids).size !== ids.length;
}

/** Splits operations into batches of at most `maxItems` and about 900 KB of JSON. */
export function planBatches<T extends { item: unknown }>(operations: readonly T[], maxItems: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const operation of operations) {
    const size = Buffer.byteLength(JSON.stringify(operation.item)) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(operation);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The API's reasons for a rejected row, by field (`user.birthday` → `birthday`). */
export function problemsOf(result: BulkResult): FieldProblem[] {
  if (result.errors && result.errors.length > 0) {
    return result.errors.map((error) => ({
      field: error.path.replace(/^user\./, '') || 'row',
      message: error.message,
    }));
  }
  const message =
    result.status === 404
      ? 'no such user'
      : result.status === 409
        ? 'the user is being changed concurrently'
        : `the API answered ${result.status}`;
  return [{ field: 'row', message }];
}
