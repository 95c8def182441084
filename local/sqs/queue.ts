import { MinHeap } from './min-heap';
import type { MessageRecord, MessageState, QueueCounts, QueueState } from './model';

type Placement = 'visible' | 'inFlight' | 'delayed';

interface Entry {
  record: MessageRecord;
  placement: Placement;
  /** Bumped on each re-placement so heap entries pushed for an older placement are skipped. */
  version: number;
}

interface DueItem {
  at: number;
  seq: number;
  id: string;
  version: number;
}

interface ExpiryItem {
  sentAt: number;
  seq: number;
  id: string;
}

const dueFirst = (a: DueItem, b: DueItem): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
const oldestFirst = (a: ExpiryItem, b: ExpiryItem): boolean =>
  a.sentAt < b.sentAt || (a.sentAt === b.sentAt && a.seq < b.seq);

/** Heaps are rebuilt when stale entries outnumber live messages by this factor (plus slack). */
const STALE_FACTOR = 2;
const STALE_SLACK = 1024;

/**
 * One queue's messages with the indexes that keep receives O(batch):
 * - `visible`: receivable messages in the order they became receivable (a Map keeps insertion
 *   order and deletes in O(1));
 * - `due`: a heap of hidden (delayed or in-flight) messages by the instant they become visible;
 * - `expiry`: a heap by enqueue time, for the retention period.
 * Time is always passed in (epoch ms from the shared clock); this class never reads a clock.
 * A message is "in flight" when hidden and it has a receipt, "delayed" when hidden without one.
 */
export class QueueIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly visible = new Map<string, Entry>();
  private readonly due = new MinHeap<DueItem>(dueFirst);
  private readonly expiry = new MinHeap<ExpiryItem>(oldestFirst);
  private inFlight = 0;
  private delayed = 0;

  constructor(public state: QueueState) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): MessageRecord | undefined {
    return this.entries.get(id)?.record;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  insert(record: MessageRecord, now: number): void {
    this.remove(record.id);
    const entry: Entry = { record, placement: 'visible', version: 0 };
    this.entries.set(record.id, entry);
    this.expiry.push({ sentAt: record.sentAt, seq: record.seq, id: record.id });
    this.place(entry, now);
    this.compactHeaps();
  }

  /** Replaces the mutable state of a message and re-places it; false when it is not here. */
  update(id: string, state: MessageState, now: number): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.unplace(entry);
    const record = entry.record;
    record.visibleAt = state.visibleAt;
    record.receiveCount = state.receiveCount;
    record.firstReceiveAt = state.firstReceiveAt;
    record.receivedAt = state.receivedAt;
    record.receipt = state.receipt;
    this.place(entry, now);
    this.compactHeaps();
    return true;
  }

  remove(id: string): MessageRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.unplace(entry);
    this.entries.delete(id);
    return entry.record;
  }

  clear(): void {
    this.entries.clear();
    this.visible.clear();
    this.due.rebuild([]);
    this.expiry.rebuild([]);
    this.inFlight = 0;
    this.delayed = 0;
  }

  /** Moves every hidden message whose visibility instant has come into the visible order. */
  promote(now: number): void {
    for (let item = this.due.peek(); item && item.at <= now; item = this.due.peek()) {
      this.due.pop();
      const entry = this.entries.get(item.id);
      if (!entry || entry.version !== item.version || entry.placement === 'visible') continue;
      this.unplace(entry);
      this.place(entry, now);
    }
  }

  /** Ids of messages older than the retention period; the caller deletes them (and journals it). */
  expired(now: number, retentionMs: number): string[] {
    const ids: string[] = [];
    for (let item = this.expiry.peek(); item && item.sentAt + retentionMs <= now; item = this.expiry.peek()) {
      this.expiry.pop();
      const entry = this.entries.get(item.id);
      if (entry?.record.sentAt === item.sentAt) ids.push(item.id);
    }
    return ids;
  }

  /** Receivable messages, oldest-visible first. Do not mutate the queue while iterating. */
  *visibleRecords(): Generator<MessageRecord> {
    for (const entry of this.visible.values()) yield entry.record;
  }

  /** Every message, hidden or not (for the snapshot and for redrive tasks). */
  *records(): Generator<MessageRecord> {
    for (const entry of this.entries.values()) yield entry.record;
  }

  isInFlight(id: string): boolean {
    return this.entries.get(id)?.placement === 'inFlight';
  }

  /** Earliest instant a hidden message may become visible (possibly stale: only a wake-up hint). */
  nextDueAt(): number | undefined {
    return this.due.peek()?.at;
  }

  counts(): QueueCounts {
    return { visible: this.visible.size, inFlight: this.inFlight, delayed: this.delayed };
  }

  private place(entry: Entry, now: number): void {
    entry.version += 1;
    const record = entry.record;
    if (record.visibleAt <= now) {
      entry.placement = 'visible';
      this.visible.set(record.id, entry);
      return;
    }
    if (record.receipt === undefined) {
      entry.placement = 'delayed';
      this.delayed += 1;
    } else {
      entry.placement = 'inFlight';
      this.inFlight += 1;
    }
    this.due.push({ at: record.visibleAt, seq: record.seq, id: record.id, version: entry.version });
  }

  private unplace(entry: Entry): void {
    if (entry.placement === 'visible') this.visible.delete(entry.record.id);
    else if (entry.placement === 'inFlight') this.inFlight -= 1;
    else this.delayed -= 1;
  }

  private compactHeaps(): void {
    const limit = STALE_FACTOR * this.entries.size + STALE_SLACK;
    if (this.due.size > limit) {
      const items: DueItem[] = [];
      for (const entry of this.entries.values()) {
        if (entry.placement !== 'visible') {
          const { visibleAt: at, seq, id } = entry.record;
          items.push({ at, seq, id, version: entry.version });
        }
      }
      this.due.rebuild(items);
    }
    if (this.expiry.size > limit) {
      const items: ExpiryItem[] = [];
      for (const { record } of this.entries.values()) {
        items.push({ sentAt: record.sentAt, seq: record.seq, id: record.id });
      }
      this.expiry.rebuild(items);
    }
  }
}
