import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { MessageRecord, MessageState, MoveTaskRecord, QueueState } from './model';

/**
 * Durable state of the local SQS server: a snapshot plus an append-only journal, in `dataDir`.
 *
 * Files
 * - `snapshot.json`: `{"format":1,"generation":G,"queues":[{"queue":QueueState,"messages":[MessageRecord…]}],
 *   "tasks":[MoveTaskRecord…]}`. Replaced atomically (write `snapshot.json.tmp`, fsync, rename).
 * - `journal.ndjson`: first line `{"format":1,"generation":G}`, then one line per acknowledged
 *   request that changed something: a JSON array of records (a transaction), e.g.
 *   `[{"op":"put","queue":"q","message":{…}}]`. Records carry resulting state, not commands, so
 *   replaying them needs no clock and re-applying one is harmless:
 *   - `{"op":"queue","queue":QueueState}`       create a queue or replace its attributes
 *   - `{"op":"dropQueue","name":N}`             delete a queue and its messages
 *   - `{"op":"put","queue":N,"message":MessageRecord}` add a message (send, dead-letter move, redrive)
 *   - `{"op":"set","queue":N,"id":ID,"state":MessageState}` receive / visibility change
 *   - `{"op":"del","queue":N,"id":ID}`          delete (consumer, retention, moved away)
 *   - `{"op":"purge","queue":N}`                PurgeQueue
 *   - `{"op":"task","task":MoveTaskRecord}`     a message move task's record
 *
 * Durability: a transaction line is written with one synchronous write before the server
 * answers, so a SIGKILL at any point loses nothing that was acknowledged (the bytes are in the
 * kernel's page cache). We do not fsync each append: that would cost milliseconds per request
 * and only protects against power loss, which a local runtime does not need.
 *
 * A kill during a write can leave the last line incomplete: it was never acknowledged, so it is
 * dropped on load; one line per transaction makes a multi-record change (a move to the DLQ is a
 * `put` plus a `del`) all-or-nothing. Damage anywhere else is an error, not silently skipped.
 *
 * Compaction: at start and whenever the journal outgrows the snapshot, the whole state is written
 * as a snapshot of generation G+1, then the journal is replaced by an empty one of generation
 * G+1 (both by rename). A crash between the two renames leaves a journal of generation G next to
 * a snapshot of G+1; the loader ignores it, as everything in it is already in the snapshot (this
 * is what keeps non-idempotent records such as `purge` from being applied twice).
 */

export type JournalRecord =
  | { op: 'queue'; queue: QueueState }
  | { op: 'dropQueue'; name: string }
  | { op: 'put'; queue: string; message: MessageRecord }
  | { op: 'set'; queue: string; id: string; state: MessageState }
  | { op: 'del'; queue: string; id: string }
  | { op: 'purge'; queue: string }
  | { op: 'task'; task: MoveTaskRecord };

export interface Snapshot {
  queues: { queue: QueueState; messages: MessageRecord[] }[];
  tasks: MoveTaskRecord[];
}

interface SnapshotFile extends Snapshot {
  format: 1;
  generation: number;
}

interface JournalHeader {
  format: 1;
  generation: number;
}

export interface LoadedState {
  snapshot: Snapshot | undefined;
  transactions: JournalRecord[][];
}

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.ndjson';
/** Compact once the journal is this large and larger than twice the last snapshot. */
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;

export class Journal {
  private fd: number | undefined;
  private generation = 0;
  private journalBytes = 0;
  private snapshotBytes = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Reads the snapshot and the journal transactions that are not in it yet. */
  load(): LoadedState {
    const snapshotPath = join(this.dir, SNAPSHOT);
    let snapshot: SnapshotFile | undefined;
    if (existsSync(snapshotPath)) {
      const parsed = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Omit<SnapshotFile, 'format'> & {
        format: number;
      };
      if (parsed.format !== 1) throw new Error(`${snapshotPath}: unknown format ${parsed.format}`);
      snapshot = parsed as SnapshotFile;
      this.generation = snapshot.generation;
    }
    const journalPath = join(this.dir, JOURNAL);
    const transactions: JournalRecord[][] = [];
    if (existsSync(journalPath)) {
      const lines = readFileSync(journalPath, 'utf8').split('\n');
      const header = parseLine(lines[0] ?? '') as JournalHeader | undefined;
      // No readable header: the journal was being created when the process died, so it is empty.
      if (header && header.generation >= this.generation) {
        if (header.generation > this.generation) {
          throw new Error(`${journalPath}: generation ${header.generation} is newer than the snapshot's`);
        }
        for (let index = 1; index < lines.length; index += 1) {
          const line = lines[index] ?? '';
          if (line === '') continue;
          const parsed = parseLine(line);
          if (parsed === undefined) {
            // Only the very last line may be torn (a write interrupted by a kill).
            if (index === lines.length - 1) break;
            throw new Error(`${journalPath}:${index + 1}: unreadable journal line`);
          }
          transactions.push(parsed as JournalRecord[]);
        }
      }
    }
    return { snapshot, transactions };
  }

  /** Writes a snapshot of the whole state and starts an empty journal after it. */
  compact(snapshot: Snapshot): void {
    const next = this.generation + 1;
    const file: SnapshotFile = { format: 1, generation: next, ...snapshot };
    const text = JSON.stringify(file);
    writeAtomically(join(this.dir, SNAPSHOT), text);
    this.closeFd();
    const header: JournalHeader = { format: 1, generation: next };
    const headerLine = `${JSON.stringify(header)}\n`;
    writeAtomically(join(this.dir, JOURNAL), headerLine);
    this.generation = next;
    this.snapshotBytes = Buffer.byteLength(text);
    this.journalBytes = Buffer.byteLength(headerLine);
    this.fd = openSync(join(this.dir, JOURNAL), 'a');
  }

  /** Appends one transaction synchronously; returns once the bytes are in the file. */
  append(records: JournalRecord[]): void {
    if (records.length === 0) return;
    if (this.fd === undefined) throw new Error('journal is closed');
    const buffer = Buffer.from(`${JSON.stringify(records)}\n`, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    this.journalBytes += buffer.length;
  }

  needsCompaction(): boolean {
    return this.journalBytes > MIN_COMPACT_BYTES && this.journalBytes > 2 * this.snapshotBytes;
  }

  close(): void {
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** temp file + fsync + rename: readers see the old file or the new one, never half of one. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, text);
  const fd = openSync(temp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
