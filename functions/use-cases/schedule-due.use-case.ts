import type { Clock } from '#commons/clock';
import type { EventType } from '#domain/event-type';
import { CANCELLED_BY_ADMIN } from '#domain/notification-command';
import {
  FINAL_STATUSES,
  markReenqueued,
  markUnsent,
  newOccurrence,
  planOf,
  reschedule,
  type NewOccurrence,
  type Occurrence,
} from '#domain/occurrence';
import { localYearOf, scheduledAfter, scheduledInYear, yearAtSlot, type EventRule } from '#domain/schedule';
import type { StoredUser, UserSchedule } from '#domain/user';
import {
  birthdayTarget,
  eventTarget,
  isBirthday,
  occurrenceIdOf,
  ruleOf,
  targetFingerprint,
  type ScheduledTarget,
} from '#domain/user-event';
import type { DomainEvent, EventPublisher } from '#ports/event-publisher';
import type { NotificationMessage, NotificationQueue } from '#ports/notification-queue';
import type { OccurrenceRepository } from '#ports/occurrence-repository';
import {
  bucketOf,
  nextUtcMonth,
  startOfUtcMonth,
  sameSlot,
  type DueEntry,
  type DueIndex,
  type SchedulerProgress,
  type WatermarkStore,
} from '#ports/scheduler-state';
import type { UserEventRepository } from '#ports/user-event-repository';
import type { UserRepository } from '#ports/user-repository';
import { EventTypeCatalog } from './event-type-catalog';

export interface SchedulerSettings {
  /** Later than this after its due instant, an occurrence is skipped (kept, replayable). */
  maxLatenessMs: number;
  /** How long an occurrence another pass just created is left to that pass. */
  claimLeaseMs: number;
  /** Where the very first pass starts looking, before now (from the start of that UTC month). */
  initialLookbackMs: number;
  /** Due items one pass handles at most; the rest waits for the next pass (watermark stays). */
  maxItemsPerPass: number;
  /**
   * Re-read this much before the watermark, against clock skew between writers and late index
   * copies: once every `fullMarginEveryMs`; the passes between re-read `quickMarginMs` only.
   */
  safetyMarginMs: number;
  /** The margin of the passes between two full ones (the usual skew, a late copy of seconds). */
  quickMarginMs: number;
  /** How often a pass re-reads the whole `safetyMarginMs` (a late index copy of minutes). */
  fullMarginEveryMs: number;
}

export const DEFAULT_SCHEDULER_SETTINGS: SchedulerSettings = {
  // Two days: a whole day of downtime (and then some) is caught up, not skipped.
  maxLatenessMs: 48 * 3_600_000,
  claimLeaseMs: 60_000,
  initialLookbackMs: 48 * 3_600_000,
  maxItemsPerPass: 20_000,
  // An hour: an index copy that shows up late near a month's end is still read from its bucket.
  // It is also what the margin rule (seenOrNotYet) counts on: an item last written more than this
  // before the watermark was visible to the pass that moved the watermark past its slot.
  safetyMarginMs: 3_600_000,
  // Handled entries stay in the index (ADR 0009), so every re-read returns the last margin's
  // entries again: an hour on every pass is ~60 reads of each entry (~3 RRU per notification),
  // two minutes and an hour every 15 minutes ~6 (~0.3 RRU). An index copy later than two
  // minutes (rare) is then found by the next full re-read: up to 15 minutes late, not lost.
  quickMarginMs: 120_000,
  fullMarginEveryMs: 15 * 60_000,
};

export interface PassResult {
  /** Due items found in this pass (not counting those an earlier pass has handled: seenOrNotYet). */
  due: number;
  /** Messages handed to the queue. */
  enqueued: number;
  skipped: number;
  /** Occurrences found past their `watchAt` (their message was lost) and sent again. */
  rescued: number;
  /** Due items left for a later pass (claimed by another pass, send failed, or over budget). */
  pending: number;
  watermark: number;
  /** now minus the watermark this pass started from. */
  lagMs: number;
}

interface Dependencies {
  clock: Clock;
  dueIndex: DueIndex;
  watermarks: WatermarkStore;
  users: UserRepository;
  occurrences: OccurrenceRepository;
  queue: NotificationQueue;
  events: EventPublisher;
  /** Users' events other than birthdays; without it only birthdays are in the index. */
  userEvents?: UserEventRepository;
  /** Event types in effect; without it the built-in defaults. */
  eventTypes?: EventTypeCatalog;
  settings?: Partial<SchedulerSettings>;
}

export interface PassOptions {
  /** Gives up early (the Lambda's remaining time); the watermark stays behind what is left. */
  shouldStop?: () => boolean;
  /** Hears of every message the queue accepted (the handler logs each with its correlation id). */
  onEnqueued?: (message: NotificationMessage) => void;
}

/** What to do with one due item after its occurrence has been looked at. */
type Decision =
  /** `occurrence`: stored already (a restart), else the message carries the plan (ADR 0010). */
  | { kind: 'send'; message: NotificationMessage; occurrence?: Occurrence }
  /** Handled (sent, final, skipped): past it, with a write only if the slot moves (ADR 0009). */
  | { kind: 'advance'; event?: DomainEvent }
  | { kind: 'leave' }
  /** Not due after all: its type or the user's send time moved it later (ADR 0006). */
  | { kind: 'move'; to: UserSchedule }
  /** Nothing left to schedule: the user or the type is gone. */
  | { kind: 'drop' }
  /** Nothing due at this slot this year (a one-off event's later years): no write, no hold. */
  | { kind: 'ignore' };

/** A due entry with what it is due under now: the user, the type, the rule. */
interface Resolved {
  target: ScheduledTarget;
  /** The anchor: the occurrence as last written on the item, possibly of a past year. */
  schedule: UserSchedule;
  /** The instant of the entry's slot that was read: the occurrence of `localYear`'s slot. */
  at: number;
  /** The local year the entry stands for at `at` (yearAtSlot). */
  localYear: number;
  /** When the item was last written (DueEntry.writtenAt). */
  writtenAt?: number;
  user?: StoredUser;
  type?: EventType;
  rule?: EventRule;
  correlationId?: string;
}

/**
 * Counts `count` items of `shard` as left for a later pass, and keeps that shard's mark before
 * `at`. A shard's mark is the last instant up to which every one of its entries has been handled
 * (inclusive): the margin rule (seenOrNotYet) skips entries at or before it.
 */
function leaveBehind(pass: PassState, shard: number, at: number, count = 1): void {
  pass.pending += count;
  pass.marks[shard] = Math.min(pass.marks[shard] ?? pass.now, at - 1);
}

/** What one pass has seen so far; shared by the shards it reads side by side. */
interface PassState {
  now: number;
  /**
   * Per shard, how far this pass has handled everything (see leaveBehind). Per shard, not one
   * watermark: handled entries stay in the index (ADR 0009), so a pass stopped early must resume
   * each shard where it stopped, or it would handle the month's earlier entries all over again.
   */
  marks: number[];
  due: number;
  /**
   * Due items counted against `maxItemsPerPass`: not those an earlier pass may have handled
   * (earlierLook: one batched read per 100), or a pass stopped amid a burst due at one instant
   * would spend its successor's budget on the same entries again, and the next, for ever.
   */
  charged: number;
  enqueued: number;
  skipped: number;
  rescued: number;
  pending: number;
  events: DomainEvent[];
  stopped: boolean;
  /** The marks this pass started from, one per shard (undefined on the very first pass). */
  storedMarks: readonly number[] | undefined;
  /** The now of the pass before (undefined when unknown): see earlierLook. */
  previousPassAt: number | undefined;
  /** Each type read once per pass. */
  typeLookup: (key: string) => Promise<EventType | undefined>;
}

/**
 * One scheduler pass (DESIGN core ideas 1-2, ADRs 0009 and 0010): read the slot index from the
 * watermark to now and hand each due item to the queue. An item written long before (the margin
 * rule keeps later passes from reading it again) goes out as a plan, unwritten: the worker's claim
 * creates its occurrence, conditionally on a deterministic id, so a date is never sent twice.
 * Any other item becomes its occurrence here (the same conditional create) before its message is
 * sent, as later passes will read it again and must find it handled. An item stays in the index
 * after it is handled: its slot stands for next year's occurrence too, and is only re-keyed when
 * next year's falls elsewhere. A pass may die at any line: an item is only re-keyed after its
 * message was accepted, an entry whose plan SQS refused is handled again by the next pass (the
 * mark stays before it), and an occurrence created here whose message a dead pass never sent is sent
 * by the watch index (rescueOverdue) once its `watchAt` passes.
 */
export class ScheduleDueOccurrences {
  private readonly settings: SchedulerSettings;
  private readonly catalog: EventTypeCatalog;

  constructor(private readonly deps: Dependencies) {
    this.settings = { ...DEFAULT_SCHEDULER_SETTINGS, ...deps.settings };
    this.catalog = deps.eventTypes ?? new EventTypeCatalog(undefined);
  }

  async run(options: PassOptions = {}): Promise<PassResult> {
    const now = this.deps.clock.now();
    const stored = await this.deps.watermarks.get();
    // Items keep the shard they were written on (handling no longer rewrites them), so after
    // DUE_SHARDS was lowered the shards above it still hold entries: read every shard any pass
    // has read (the stored marks say how many), not only the configured ones.
    const shardCount = Math.max(this.deps.dueIndex.shards, stored?.shards?.length ?? 0);
    const storedMarks = stored ? marksOf(stored, shardCount) : undefined;
    // Each shard is re-read from a margin before its mark, against clock skew and late index
    // copies. The very first pass reads from the start of the month its lookback reaches, as the
    // month buckets of the index before ADR 0009 had it read: whatever was scheduled in that
    // month and never handled (the API ran before any pass did) is found, late or not.
    const firstFrom = startOfUtcMonth(now - this.settings.initialLookbackMs - this.settings.safetyMarginMs);
    const fullMargin =
      stored?.fullMarginAt === undefined || now - stored.fullMarginAt >= this.settings.fullMarginEveryMs;
    const margin = fullMargin ? this.settings.safetyMarginMs : this.settings.quickMarginMs;
    const fromOf = (shard: number): number => {
      const mark = storedMarks?.[shard];
      return mark === undefined ? firstFrom : mark - margin;
    };
    const from = Math.min(...Array.from({ length: shardCount }, (_, shard) => fromOf(shard)));
    const pass: PassState = {
      now,
      marks: Array.from({ length: shardCount }, () => now),
      due: 0,
      charged: 0,
      enqueued: 0,
      skipped: 0,
      rescued: 0,
      pending: 0,
      events: [],
      stopped: false,
      storedMarks,
      previousPassAt: stored?.passedAt,
      typeLookup: this.catalog.lookup(),
    };

    const shards = Array.from({ length: shardCount }, (_, shard) => shard);
    for (let month = startOfUtcMonth(from); month <= now && !pass.stopped; month = nextUtcMonth(month)) {
      if (options.shouldStop?.()) {
        // Out of time even before this bucket (a long gap of empty months): the next pass goes on.
        pass.stopped = true;
        capMarks(pass, month - 1);
        break;
      }
      // The shards of one bucket are independent partitions: read them side by side.
      await Promise.all(shards.map((shard) => this.handleShard(month, shard, fromOf(shard), pass, options)));
      // Stopped in this month: no shard has read the months after it.
      if (hasStopped(pass)) capMarks(pass, nextUtcMonth(month) - 1);
    }

    const watermark = Math.min(...pass.marks);
    const fullMarginAt = fullMargin ? now : stored.fullMarginAt;
    await this.deps.watermarks.set(
      { watermark, shards: pass.marks, ...(fullMarginAt === undefined ? {} : { fullMarginAt }) },
      now,
    );
    if (pass.events.length > 0) await this.deps.events.publish(pass.events);
    const { due, enqueued, skipped, rescued, pending } = pass;
    const lagMs = now - (stored?.watermark ?? now);
    return { due, enqueued, skipped, rescued, pending, watermark, lagMs };
  }

  private async handleShard(
    bucketStart: number,
    shard: number,
    from: number,
    pass: PassState,
    options: PassOptions,
  ): Promise<void> {
    for await (const read of this.deps.dueIndex.due(bucketStart, shard, from, pass.now)) {
      const page = read.filter((entry) => !this.seenOrNotYet(entry, shard, pass));
      const charged = page.filter((entry) => !mayBeHandled(entry.at, pass)).length;
      if (this.exhausted(pass, charged, options)) {
        // Out of budget: this shard resumes at this page (earliest first) next pass; run() caps
        // every shard at this month's end, as no shard reads the months after it.
        pass.stopped = true;
        leaveBehind(pass, shard, read[0]?.at ?? bucketStart, page.length);
        return;
      }
      pass.due += page.length;
      pass.charged += charged;
      await this.handlePage(page, shard, pass, options);
    }
    if (pass.stopped) return;
    for await (const ids of this.deps.occurrences.overdue(bucketOf(bucketStart), shard, pass.now)) {
      if (this.exhausted(pass, ids.length, options)) {
        // Same budget as due items: the next pass sweeps this month again (run() caps the marks
        // at its end, so it is in the next pass's months).
        pass.stopped = true;
        pass.pending += ids.length;
        return;
      }
      await this.rescueOverdue(ids, shard, pass, options);
    }
  }

  /**
   * Entries a pass leaves alone without a request (ADR 0009):
   * - The margin rule. Every pass re-reads a margin before its shard's mark (`quickMarginMs`, and
   *   `safetyMarginMs` every `fullMarginEveryMs`), and handled entries stay in the index, so each
   *   pass would find the margin's again. An entry whose slot is at or before the stored mark of
   *   its shard, on an item last written more than the hour (`safetyMarginMs`) before that mark,
   *   was visible to the pass that moved the mark to or past the slot (that pass read up to its
   *   now, which is at or after the mark it wrote); that pass handled it, or held the mark before
   *   it (leaveBehind), and then the slot is after the mark. An item written later (an edit, a re-key, a late index copy) is handled as usual: the conditional
   *   create keeps that exactly-once. Items without `writtenAt` (older data) are never skipped.
   * - A slot instant before the anchor's year: the anchor is a later occurrence (the item was
   *   scheduled after this year's had passed), so nothing is due at it.
   */
  private seenOrNotYet(entry: DueEntry, shard: number, pass: PassState): boolean {
    const mark = pass.storedMarks?.[shard];
    if (
      mark !== undefined &&
      entry.writtenAt !== undefined &&
      entry.at <= mark &&
      entry.writtenAt < mark - this.settings.safetyMarginMs
    ) {
      return true;
    }
    const anchor = targetOf(entry).schedule;
    return anchor !== null && yearAtSlot(anchor, entry.at) === undefined;
  }

  /**
   * Whether taking `more` items would go over this pass's budget (items or time). Read afresh:
   * the shards of a bucket run side by side and any of them may have stopped the pass.
   */
  private exhausted(pass: PassState, more: number, options: PassOptions): boolean {
    return (
      pass.stopped ||
      pass.charged + pass.rescued + more > this.settings.maxItemsPerPass ||
      options.shouldStop?.() === true
    );
  }

  /**
   * Occurrences past their `watchAt`: not final, yet nothing moved them on in time, so their
   * message is gone (SQS retention, a redrive after repeated crashes, a purged queue). The queue
   * is not the record of pending work, the table is: send them again.
   */
  private async rescueOverdue(
    ids: readonly string[],
    shard: number,
    pass: PassState,
    options: PassOptions,
  ): Promise<void> {
    const { now } = pass;
    const found = await Promise.all(ids.map((id) => this.deps.occurrences.get(id)));
    const candidates: Occurrence[] = [];
    for (const occurrence of found) {
      // Moved on since the index was read (it is read eventually consistently), or final.
      if (occurrence?.watchAt === undefined || occurrence.watchAt > now) continue;
      if (occurrence.status === 'sending' && (occurrence.leaseUntil ?? 0) > now) {
        // An attempt is in flight: look again next pass.
        leaveBehind(pass, shard, occurrence.watchAt);
        continue;
      }
      candidates.push(markReenqueued(occurrence, now, true));
    }
    const saved = await Promise.all(candidates.map((requeued) => this.deps.occurrences.save(requeued)));
    const toSend = candidates.filter((_, index) => saved[index]);
    const unsent = new Set((await this.deps.queue.enqueue(toSend.map(messageOf))).map((m) => m.occurrenceId));
    for (const occurrence of toSend) {
      if (unsent.has(occurrence.occurrenceId)) {
        // Its watchAt moved on already: it is found again once that passes.
        pass.pending += 1;
        continue;
      }
      pass.rescued += 1;
      options.onEnqueued?.(messageOf(occurrence));
    }
  }

  private async handlePage(
    page: readonly DueEntry[],
    shard: number,
    pass: PassState,
    options: PassOptions,
  ): Promise<void> {
    const { now } = pass;
    const lookup = pass.typeLookup;
    const resolved = (await Promise.all(page.map((entry) => this.resolve(entry, lookup)))).filter(
      (item): item is Resolved => item !== undefined,
    );
    const known = await this.earlierLook(resolved, pass);
    const decisions = await Promise.all(
      resolved.map((item) => this.decide(item, now, known, !mayBeHandled(item.at, pass))),
    );
    const toSend: { item: Resolved; message: NotificationMessage; occurrence?: Occurrence }[] = [];
    const toAdvance: { item: Resolved; to?: UserSchedule | null }[] = [];
    decisions.forEach((decision, index) => {
      const item = resolved[index];
      if (!item) return;
      if (decision.kind === 'send') toSend.push({ item, ...decision });
      else if (decision.kind === 'advance') {
        toAdvance.push({ item });
        if (decision.event) {
          pass.events.push(decision.event);
          pass.skipped += 1;
        }
      } else if (decision.kind === 'move') toAdvance.push({ item, to: decision.to });
      else if (decision.kind === 'drop') toAdvance.push({ item, to: null });
      else if (decision.kind === 'leave') leaveBehind(pass, shard, item.at);
    });
    const unsent = new Set(
      (await this.deps.queue.enqueue(toSend.map((entry) => entry.message))).map((m) => m.occurrenceId),
    );
    const refused: Occurrence[] = [];
    for (const { item, message, occurrence } of toSend) {
      if (unsent.has(message.occurrenceId)) {
        // A plan is simply handled again by the next pass (created then: see plannable), as the
        // mark stays before it.
        leaveBehind(pass, shard, item.at);
        if (occurrence) refused.push(occurrence);
      } else {
        pass.enqueued += 1;
        options.onEnqueued?.(message);
        toAdvance.push({ item });
      }
    }
    // A later pass will not send these again (handled means handled, ADR 0009): their watch
    // instant is brought forward to the end of the claim lease, so the watch index sends them
    // within minutes. Not written (a concurrent change): their watch instant stands.
    await Promise.all(
      refused.map((occurrence) =>
        this.deps.occurrences.save(markUnsent(occurrence, now, now + this.settings.claimLeaseMs)),
      ),
    );
    for (const nextDue of await Promise.all(toAdvance.map(({ item, to }) => this.advance(item, to, now)))) {
      // A re-key to an instant already due (downtime longer than a year): the month it falls in
      // may be read later in this pass from an index copy that does not show it yet, so the
      // next pass must see it. An unchanged slot needs nothing: each year's instant of it is
      // read on its own.
      if (nextDue !== undefined && nextDue <= now) leaveBehind(pass, shard, nextDue);
    }
  }

  /** The entry with its user and type as they are now (events read their user: zone, preferences). */
  private async resolve(
    entry: DueEntry,
    lookup: (key: string) => Promise<EventType | undefined>,
  ): Promise<Resolved | undefined> {
    const target = targetOf(entry);
    const schedule = target.schedule;
    if (!schedule) return undefined;
    const localYear = yearAtSlot(schedule, entry.at);
    if (localYear === undefined) return undefined;
    const user = entry.kind === 'birthday' ? entry.user : await this.deps.users.get(target.userId);
    const type = await lookup(target.typeKey);
    const correlationId = entry.kind === 'birthday' ? entry.user.lastRequestId : entry.event.lastRequestId;
    const resolved: Resolved = {
      target,
      schedule,
      at: entry.at,
      localYear,
      ...(entry.writtenAt === undefined ? {} : { writtenAt: entry.writtenAt }),
      ...(correlationId ? { correlationId } : {}),
    };
    if (!user || !type) return resolved;
    return { ...resolved, user, type, rule: ruleOf(target, user, type) };
  }

  /**
   * The occurrences, already there, of entries an earlier pass may have handled: those due by
   * the time the pass before this one ran. Entries stay in the index (ADR 0009), so a pass finds
   * handled ones again when a mark was held before them (a stopped pass: a whole burst due at
   * one instant, a left entry) or they were written within the margin. One strongly consistent
   * BatchGetItem per 100 of them, instead of a refused conditional create and a read each (which
   * could make a stopped pass's successor spend its time on the same entries, and stop again).
   * New entries (due since the pass before) go straight to the conditional create.
   */
  private async earlierLook(items: readonly Resolved[], pass: PassState): Promise<Map<string, Occurrence>> {
    const ids = items.flatMap((item) => {
      if (!mayBeHandled(item.at, pass) || !item.rule) return [];
      const current = scheduledInYear(item.rule, item.localYear);
      return current && current.dueAt <= pass.now ? [occurrenceIdOf(item.target, current.localDate)] : [];
    });
    return ids.length === 0 ? new Map() : this.deps.occurrences.getMany(ids);
  }

  /** @param firstLook no pass before this one can have handled the entry (see plannable) */
  private async decide(
    item: Resolved,
    now: number,
    known: ReadonlyMap<string, Occurrence>,
    firstLook: boolean,
  ): Promise<Decision> {
    const { user, type, rule, schedule, at, localYear } = item;
    // The user was deleted under its event, or the type under it (a race with DELETE): nothing
    // can be sent for it any more, so it leaves the index.
    if (!user || !type || !rule) return { kind: 'drop' };
    // The instant under the type and preferences as they are now: a send time or leap policy
    // changed since the entry was written moves it (later: wait; earlier: it is due now).
    const current = scheduledInYear(rule, localYear);
    // A later year of an entry without one that year (a one-off event's anchor year is the
    // instant that takes it out of the index, not this one): nothing to do here.
    if (!current) return localYear > localYearOf(schedule.localDate) ? { kind: 'ignore' } : { kind: 'drop' };
    if (current.dueAt > now) return { kind: 'move', to: current };
    const input = occurrenceInput(item, user, type, current);
    const maxLatenessMs =
      type.version === 0 ? this.settings.maxLatenessMs : type.maxLatenessHours * 3_600_000;
    // Late by the entry's own instant: a type moved earlier must not turn its entries "too late".
    const tooLate = now - Math.max(at, current.dueAt) > maxLatenessMs;
    const there = known.get(input.occurrenceId);
    if (there) return this.decideExisting(there, input, now, tooLate, item.writtenAt);
    // Due, on an item the passes after this one will not read again (the margin rule): the
    // message carries the plan and the worker's claim creates the occurrence (ADR 0010),
    // conditionally, so a copy of the message or a second pass cannot make a second one.
    if (!tooLate && firstLook && this.plannable(item, now))
      return { kind: 'send', message: plannedMessageOf(input, now) };
    const fresh = newOccurrence(input, now, tooLate);
    if (await this.deps.occurrences.create(fresh)) {
      return tooLate
        ? { kind: 'advance', event: skippedEvent(fresh, now) }
        : { kind: 'send', message: messageOf(fresh), occurrence: fresh };
    }
    const existing = await this.deps.occurrences.get(input.occurrenceId);
    if (!existing) return { kind: 'leave' };
    return this.decideExisting(existing, input, now, tooLate, item.writtenAt);
  }

  /**
   * Whether a due entry goes out as a plan, unwritten (ADR 0010): only when its item was last
   * written more than `safetyMarginMs` before this pass, so the margin rule (seenOrNotYet) keeps
   * the next passes from reading it again once this one moved the mark past it. An item written
   * since (a new user, an edit, a re-key) is re-read by the passes of the next hour, which must
   * find its occurrence stored to know it was handled: it is created here, as before. So a
   * birthday of a user written long ago costs no scheduler write, and back-to-back passes still
   * send each notification once. Items without `writtenAt` (older data) are created too, and so
   * is an entry a pass before this one may have handled (decide's `firstLook` false: a mark held
   * back by a budget stop or a left entry) whose occurrence no worker has stored yet: planning
   * it again on every pass until one does would pile copies up on the queue amid a burst.
   */
  private plannable(item: Resolved, now: number): boolean {
    return item.writtenAt !== undefined && item.writtenAt < now - this.settings.safetyMarginMs;
  }

  /** The occurrence exists already: a concurrent or dead pass, or this local date came round again. */
  private async decideExisting(
    existing: Occurrence,
    input: NewOccurrence,
    now: number,
    tooLate: boolean,
    writtenAt: number | undefined,
  ): Promise<Decision> {
    // Delivered, failed or skipped: at most one per user, event and local date.
    if (FINAL_STATUSES.has(existing.status)) return { kind: 'advance' };
    // An admin said no to this one: it stays cancelled whatever comes round again.
    if (existing.status === 'cancelled' && existing.statusReason === CANCELLED_BY_ADMIN) {
      return { kind: 'advance' };
    }
    // Cancelled under the item as it is: nothing was written to it since the cancel (an opt-out,
    // a disabled type). Entries stay in the index (ADR 0009) and a recently written one is read
    // again by the passes of the next hour: starting it afresh each time would only have it
    // cancelled again. A write after the cancel (an edit, the worker's rewind, which shares the
    // cancel's instant) may have made it sendable: it starts afresh below.
    if (
      existing.status === 'cancelled' &&
      existing.fingerprint === input.fingerprint &&
      writtenAt !== undefined &&
      existing.updatedAt > writtenAt
    ) {
      return { kind: 'advance' };
    }
    // Cancelled, or built from a schedule the user no longer has (its zone changed while it was
    // waiting for a retry): the date came round again under the new schedule, so it starts afresh.
    // Passing it over would let the worker cancel it later with nothing left to send.
    if (existing.status === 'cancelled' || existing.fingerprint !== input.fingerprint) {
      if (tooLate) return { kind: 'advance' };
      if (existing.status === 'sending' && (existing.leaseUntil ?? 0) > now) return { kind: 'leave' };
      const rescheduled = reschedule(existing, input, now);
      return (await this.deps.occurrences.save(rescheduled))
        ? { kind: 'send', message: messageOf(rescheduled), occurrence: rescheduled }
        : { kind: 'leave' };
    }
    // Queued by a pass that may still be working on it: leave it to that pass for a while.
    if (now - existing.enqueuedAt < this.settings.claimLeaseMs) return { kind: 'leave' };
    // Handled. Entries stay in the slot index after they are handled (ADR 0009), so a pass finds
    // handled ones again whenever the watermark was held before them (a budget stop, another
    // entry left behind, a recent edit): nothing tells a message the queue accepted from one a
    // dead pass never sent, and sending again each time would flood the queue. The watch index
    // is the record: an occurrence whose message never arrived is found past its `watchAt`
    // (WATCH_GRACE_MS after creation) and sent again (rescueOverdue).
    return { kind: 'advance' };
  }

  /**
   * Moves the entry to `to` (a move or a drop), or (undefined) past the occurrence just handled:
   * nothing to write when the next one falls on the entry's slot (ADR 0009), a re-key otherwise.
   * @returns the instant the next pass must still see.
   */
  private async advance(
    item: Resolved,
    to: UserSchedule | null | undefined,
    now: number,
  ): Promise<number | undefined> {
    const { schedule, rule, localYear } = item;
    let following: UserSchedule | null;
    if (to !== undefined) following = to;
    else if (rule) {
      // The occurrence handled may sit on another date than the anchor's (a leap policy change).
      const handled = scheduledInYear(rule, localYear);
      following = handled ? scheduledAfter(rule, handled.localDate) : null;
      if (following && sameSlot(following.dueAt, schedule.dueAt)) return undefined;
    } else following = null;
    const moved = await this.writeSchedule(item.target, following, now);
    // Not moved: the item changed since this pass read it (perhaps from a stale index copy).
    // Keep this instant in view, so the next pass looks again with fresh data.
    return moved ? following?.dueAt : item.at;
  }

  /** One version-checked write of the entry's anchor and slot (`null`: out of the index). */
  private async writeSchedule(
    target: ScheduledTarget,
    to: UserSchedule | null,
    now: number,
  ): Promise<boolean> {
    if (isBirthday(target)) return this.deps.users.advanceSchedule(target.userId, target.version, to, now);
    return (
      (await this.deps.userEvents?.advanceSchedule(target.userId, target.eventId, target.version, to, now)) ??
      false
    );
  }
}

/** What the occurrence of a due entry is of, under the user and type as they are now. */
function occurrenceInput(
  item: Resolved,
  user: StoredUser,
  type: EventType,
  current: UserSchedule,
): NewOccurrence {
  const { target } = item;
  return {
    occurrenceId: occurrenceIdOf(target, current.localDate),
    userId: user.id,
    eventKey: type.key,
    localDate: current.localDate,
    timezone: user.timezone,
    scheduledFor: current.dueAt,
    fingerprint: targetFingerprint(target, user, type),
    ...(item.correlationId ? { correlationId: item.correlationId } : {}),
    // Birthdays keep the shape they always had; other events name theirs for the worker.
    ...(isBirthday(target) ? {} : { eventId: target.eventId }),
  };
}

/** The message of a due occurrence not stored yet: its plan on board (ADR 0010). */
const plannedMessageOf = (input: NewOccurrence, now: number): NotificationMessage => ({
  occurrenceId: input.occurrenceId,
  userId: input.userId,
  ...(input.correlationId ? { correlationId: input.correlationId } : {}),
  plan: planOf(input, now),
});

export const messageOf = (occurrence: Occurrence): NotificationMessage => ({
  occurrenceId: occurrence.occurrenceId,
  userId: occurrence.userId,
  ...(occurrence.correlationId ? { correlationId: occurrence.correlationId } : {}),
});

const skippedEvent = (occurrence: Occurrence, now: number): DomainEvent => ({
  type: 'NotificationSkipped',
  at: now,
  detail: {
    occurrenceId: occurrence.occurrenceId,
    userId: occurrence.userId,
    localDate: occurrence.localDate,
    scheduledFor: new Date(occurrence.scheduledFor).toISOString(),
  },
});

/** Whether a pass before this one may have handled an entry due at `at`: it was due by then. */
const mayBeHandled = (at: number, pass: PassState): boolean =>
  pass.previousPassAt !== undefined && at <= pass.previousPassAt;

/** Read through a call: the shards set it while run() awaits them, which narrowing cannot see. */
const hasStopped = (pass: PassState): boolean => pass.stopped;

/** Holds every shard at or before `at` (no shard has read past it). */
function capMarks(pass: PassState, at: number): void {
  pass.marks = pass.marks.map((mark) => Math.min(mark, at));
}

/**
 * The stored marks, one per shard. With another shard count (DUE_SHARDS changed), their minimum,
 * the watermark, stands for every shard. A watermark written before marks existed (ADR 0001's)
 * was held *at* an entry still waiting, not after it, so it stands for "handled before", one
 * millisecond earlier: otherwise the margin rule would skip the entries due at that instant.
 */
function marksOf(stored: SchedulerProgress, shards: number): number[] {
  const marks = stored.shards;
  if (marks === undefined) return Array.from({ length: shards }, () => stored.watermark - 1);
  return marks.length === shards ? [...marks] : Array.from({ length: shards }, () => stored.watermark);
}

const targetOf = (entry: DueEntry): ScheduledTarget =>
  entry.kind === 'birthday' ? birthdayTarget(entry.user) : eventTarget(entry.event);
