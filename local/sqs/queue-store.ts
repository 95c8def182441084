import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '#commons/clock';
import { invalidParameter, SqsError } from './errors';
import type { Journal, JournalRecord, Snapshot } from './journal';
import { md5Hex, md5OfMessageAttributes } from './md5';
import type {
  AttributeMap,
  MessageRecord,
  MoveTaskRecord,
  QueueCounts,
  QueueState,
  RedrivePolicy,
} from './model';
import { QueueIndex } from './queue';
import {
  canonicalQueueAttributes,
  checkRange,
  DEFAULT_QUEUE_ATTRIBUTES,
  LIMITS,
  messageSize,
  parseRedrivePolicy,
  QUEUE_NAME,
  READABLE_ATTRIBUTES,
} from './validation';

export interface QueueStoreOptions {
  clock: Clock;
  accountId: string;
  region: string;
  /** Base of queue URLs; a function because the port is known only once the server listens. */
  endpoint: () => string;
  /** Persist every change here; in memory only when absent. */
  journal?: Journal;
}

export interface SendInput {
  body: string;
  delaySeconds?: number;
  attributes?: AttributeMap;
  systemAttributes?: AttributeMap;
}

export interface SendResult {
  messageId: string;
  md5Body: string;
  md5Attributes?: string;
  md5SystemAttributes?: string;
}

export interface Received {
  /** A copy taken at receive time. */
  record: MessageRecord;
  receiptHandle: string;
}

const NOT_FOUND = 'The specified queue does not exist.';
/** Most recent tasks kept per source queue (ListMessageMoveTasks returns at most 10). */
const TASKS_KEPT_PER_SOURCE = 10;
/** ChangeMessageVisibility cannot push a message's invisibility past 12 h after its receive. */
const MAX_INVISIBLE_MS = LIMITS.maxVisibilityTimeout * 1000;

/**
 * The SQS semantics, independent of HTTP: queues, messages, receives, redrive, move tasks.
 *
 * Every change goes through `mutate`, which applies a journal record to memory and queues it
 * for `flush` (the server flushes once per request, before it answers). Replay at start applies
 * the same records, so the live path and the recovery path cannot disagree.
 *
 * Time is read from the injected clock only, once per operation.
 */
export class QueueStore {
  private readonly queues = new Map<string, QueueIndex>();
  private readonly tasks = new Map<string, MoveTaskRecord>();
  private pending: JournalRecord[] = [];
  private closed = false;
  private nextSeq = 0;
  private readonly clock: Clock;
  private readonly journal: Journal | undefined;

  constructor(private readonly options: QueueStoreOptions) {
    this.clock = options.clock;
    const journal = options.journal;
    if (journal) {
      const now = this.clock.now();
      const loaded = journal.load();
      if (loaded.snapshot) this.restore(loaded.snapshot, now);
      for (const transaction of loaded.transactions) {
        for (const record of transaction) this.apply(record, now);
      }
      // Start every run from a fresh snapshot: this also drops a torn last journal line, so
      // new appends never follow half a line.
      journal.compact(this.snapshot());
    }
    this.journal = journal;
  }

  // ---- names -------------------------------------------------------------------------------

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  urlOf(name: string): string {
    return `${this.options.endpoint()}/${this.options.accountId}/${name}`;
  }

  /** The queue name of a queue URL: its last path segment (any host, so copied URLs still work). */
  nameFromUrl(url: string): string {
    let path = url;
    try {
      path = new URL(url).pathname;
    } catch {
      // Not a URL: treat it as a path.
    }
    const name = path
      .split('/')
      .filter((part) => part !== '')
      .pop();
    if (!name) throw new SqsError('QueueDoesNotExist', NOT_FOUND);
    return name;
  }

  nameFromArn(arn: string): string | undefined {
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
    return parts[5];
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  // ---- queues ------------------------------------------------------------------------------

  createQueue(name: string, raw: Record<string, string>): string {
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const attributes = canonicalQueueAttributes(raw);
    if (attributes.RedrivePolicy === '') delete attributes.RedrivePolicy;
    this.checkRedriveTarget(name, attributes.RedrivePolicy);
    const existing = this.queues.get(name);
    if (existing) {
      // CreateQueue is idempotent only with the same attributes (API Reference, CreateQueue).
      for (const [key, value] of Object.entries(attributes)) {
        if (existing.state.attributes[key] !== value) {
          throw new SqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return this.urlOf(name);
    }
    const now = this.clock.now();
    this.mutate(
      {
        op: 'queue',
        queue: {
          name,
          createdAt: now,
          lastModifiedAt: now,
          attributes: { ...DEFAULT_QUEUE_ATTRIBUTES, ...attributes },
        },
      },
      now,
    );
    return this.urlOf(name);
  }

  getQueueUrl(name: string): string {
    if (!this.queues.has(name)) throw new SqsError('QueueDoesNotExist', NOT_FOUND);
    return this.urlOf(name);
  }

  listQueues(prefix: string | undefined): string[] {
    return [...this.queues.keys()].filter((name) => !prefix || name.startsWith(prefix)).sort();
  }

  deleteQueue(name: string): void {
    this.queue(name);
    this.mutate({ op: 'dropQueue', name }, this.clock.now());
  }

  purgeQueue(name: string): void {
    const now = this.clock.now();
    this.open(name, now);
    this.mutate({ op: 'purge', queue: name }, now);
  }

  getQueueAttributes(name: string, requested: string[]): Record<string, string> {
    const now = this.clock.now();
    const queue = this.open(name, now);
    for (const attribute of requested) {
      if (attribute !== 'All' && !READABLE_ATTRIBUTES.has(attribute)) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${attribute}.`);
      }
    }
    const counts = queue.counts();
    const computed: Record<string, string> = {
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.state.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.state.lastModifiedAt / 1000)),
      QueueArn: this.arnOf(name),
    };
    const all: Record<string, string> = { ...queue.state.attributes, ...computed };
    const wanted = requested.includes('All') ? Object.keys(all) : requested;
    const result: Record<string, string> = {};
    for (const attribute of wanted) {
      const value = all[attribute];
      if (value !== undefined) result[attribute] = value;
    }
    return result;
  }

  setQueueAttributes(name: string, raw: Record<string, string>): void {
    const now = this.clock.now();
    const queue = this.open(name, now);
    const changes = canonicalQueueAttributes(raw);
    this.checkRedriveTarget(name, changes.RedrivePolicy);
    // An empty value removes an optional attribute (e.g. RedrivePolicy '' turns redrive off).
    const attributes = Object.fromEntries(
      Object.entries({ ...queue.state.attributes, ...changes }).filter(
        ([key, value]) => value !== '' || key in DEFAULT_QUEUE_ATTRIBUTES,
      ),
    );
    this.mutate({ op: 'queue', queue: { ...queue.state, lastModifiedAt: now, attributes } }, now);
  }

  listDeadLetterSourceQueues(name: string): string[] {
    this.queue(name);
    const arn = this.arnOf(name);
    return [...this.queues.values()]
      .filter((queue) => this.redrivePolicyOf(queue)?.deadLetterTargetArn === arn)
      .map((queue) => queue.state.name)
      .sort();
  }

  // ---- messages ----------------------------------------------------------------------------

  sendMessage(name: string, input: SendInput): SendResult {
    const now = this.clock.now();
    const queue = this.open(name, now);
    const delaySeconds = input.delaySeconds ?? Number(queue.state.attributes.DelaySeconds);
    checkRange('DelaySeconds', delaySeconds, 0, LIMITS.maxDelaySeconds);
    const maxSize = Number(queue.state.attributes.MaximumMessageSize);
    if (messageSize(input.body, input.attributes) > maxSize) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
      );
    }
    const message: MessageRecord = {
      id: randomUUID(),
      seq: this.nextSeq,
      body: input.body,
      md5Body: md5Hex(input.body),
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    if (input.attributes) {
      message.attributes = input.attributes;
      message.md5Attributes = md5OfMessageAttributes(input.attributes);
    }
    if (input.systemAttributes) {
      message.systemAttributes = input.systemAttributes;
      message.md5SystemAttributes = md5OfMessageAttributes(input.systemAttributes);
    }
    this.mutate({ op: 'put', queue: name, message }, now);
    return {
      messageId: message.id,
      md5Body: message.md5Body,
      md5Attributes: message.md5Attributes,
      md5SystemAttributes: message.md5SystemAttributes,
    };
  }

  /**
   * Receives up to `maxMessages` visible messages, oldest-visible first. A message whose receive
   * count already reached the redrive policy's maxReceiveCount is moved to the dead-letter queue
   * instead of being returned (Developer Guide, "Using dead-letter queues"); it keeps its id,
   * receive count and original enqueue time there.
   */
  receiveMessages(name: string, maxMessages: number, visibilityTimeout: number | undefined): Received[] {
    const now = this.clock.now();
    const queue = this.open(name, now);
    const timeout = visibilityTimeout ?? Number(queue.state.attributes.VisibilityTimeout);
    const policy = this.redrivePolicyOf(queue);
    const deadLetterName = policy ? this.nameFromArn(policy.deadLetterTargetArn) : undefined;
    const deadLetterQueue = deadLetterName === name ? undefined : this.queues.get(deadLetterName ?? '');

    // Decide first, mutate after: the visible order must not change while it is iterated.
    const chosen: MessageRecord[] = [];
    const dead: MessageRecord[] = [];
    for (const record of queue.visibleRecords()) {
      if (chosen.length >= maxMessages) break;
      if (policy && deadLetterQueue && record.receiveCount >= policy.maxReceiveCount) dead.push(record);
      else chosen.push(record);
    }
    for (const record of dead) this.moveToDeadLetter(name, deadLetterQueue?.state.name ?? '', record, now);

    return chosen.map((record) => {
      const receipt = randomBytes(12).toString('hex');
      this.mutate(
        {
          op: 'set',
          queue: name,
          id: record.id,
          state: {
            visibleAt: now + timeout * 1000,
            receiveCount: record.receiveCount + 1,
            firstReceiveAt: record.firstReceiveAt ?? now,
            receivedAt: now,
            receipt,
          },
        },
        now,
      );
      return { record: { ...record }, receiptHandle: encodeReceipt(record.id, receipt) };
    });
  }

  /**
   * Deletes the message if the handle is its latest receipt. A handle from an earlier receive, or
   * for a message already gone, succeeds without deleting anything: the API Reference says a
   * stale handle "will succeed, but the message might not be deleted", and we take the strict
   * reading so that consumers which rely on stale deletes show up locally.
   */
  deleteMessage(name: string, receiptHandle: string): void {
    const { id, receipt } = decodeReceipt(receiptHandle);
    const now = this.clock.now();
    const queue = this.open(name, now);
    if (queue.get(id)?.receipt === receipt) this.mutate({ op: 'del', queue: name, id }, now);
  }

  /**
   * Sets a new visibility timeout counted from now. A handle that is not the message's latest
   * receipt (or of a deleted message) is ReceiptHandleIsInvalid; a current handle whose message
   * is visible again is MessageNotInflight; more than 12 hours after the receive is refused
   * rather than clamped (API Reference, ChangeMessageVisibility).
   */
  changeMessageVisibility(name: string, receiptHandle: string, visibilityTimeout: number): void {
    checkRange('VisibilityTimeout', visibilityTimeout, 0, LIMITS.maxVisibilityTimeout);
    const { id, receipt } = decodeReceipt(receiptHandle);
    const now = this.clock.now();
    const queue = this.open(name, now);
    const record = queue.get(id);
    if (record?.receipt !== receipt) {
      throw new SqsError('ReceiptHandleIsInvalid', `The receipt handle "${receiptHandle}" is not valid.`);
    }
    if (!queue.isInFlight(id)) {
      throw new SqsError(
        'MessageNotInflight',
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    const visibleAt = now + visibilityTimeout * 1000;
    if (visibleAt - (record.receivedAt ?? now) > MAX_INVISIBLE_MS) {
      throw invalidParameter(
        `Value ${visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    }
    this.mutate(
      {
        op: 'set',
        queue: name,
        id,
        state: {
          visibleAt,
          receiveCount: record.receiveCount,
          firstReceiveAt: record.firstReceiveAt,
          receivedAt: record.receivedAt,
          receipt,
        },
      },
      now,
    );
  }

  // ---- dead-letter redrive -----------------------------------------------------------------

  /**
   * Moves the messages of a dead-letter queue to `destinationArn`, or each back to the queue it
   * was dead-lettered from. Redriven messages are new messages (new id, enqueue time and receive
   * count: Developer Guide, "Configure a dead-letter queue redrive"). The move is done at once,
   * so the task is COMPLETED when this returns (AWS runs it asynchronously). In-flight messages
   * stay; messages without a source queue to return to stay too, and the task is then FAILED.
   */
  startMessageMoveTask(
    sourceArn: string,
    destinationArn: string | undefined,
    rate: number | undefined,
  ): string {
    if (rate !== undefined) checkRange('MaxNumberOfMessagesPerSecond', rate, 1, 500);
    const now = this.clock.now();
    const sourceName = this.nameFromArn(sourceArn) ?? '';
    if (!this.queues.has(sourceName))
      throw new SqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    if (this.listDeadLetterSourceQueues(sourceName).length === 0) {
      throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    }
    const destinationName =
      destinationArn === undefined ? undefined : (this.nameFromArn(destinationArn) ?? '');
    if (destinationName !== undefined && !this.queues.has(destinationName)) {
      throw new SqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      );
    }
    const source = this.open(sourceName, now);
    const candidates = [...source.records()].filter((record) => !source.isInFlight(record.id));
    let moved = 0;
    for (const record of candidates) {
      const targetName =
        destinationName ??
        (record.deadLetterSourceArn ? this.nameFromArn(record.deadLetterSourceArn) : undefined);
      if (targetName === undefined || !this.queues.has(targetName)) continue;
      const message: MessageRecord = {
        id: randomUUID(),
        seq: this.nextSeq,
        body: record.body,
        md5Body: record.md5Body,
        sentAt: now,
        visibleAt: now,
        receiveCount: 0,
      };
      if (record.attributes) {
        message.attributes = record.attributes;
        message.md5Attributes = record.md5Attributes;
      }
      if (record.systemAttributes) {
        message.systemAttributes = record.systemAttributes;
        message.md5SystemAttributes = record.md5SystemAttributes;
      }
      this.mutate({ op: 'put', queue: targetName, message }, now);
      this.mutate({ op: 'del', queue: sourceName, id: record.id }, now);
      moved += 1;
    }
    const unmovable = candidates.length - moved;
    const handle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64');
    const task: MoveTaskRecord = {
      handle,
      status: unmovable === 0 ? 'COMPLETED' : 'FAILED',
      sourceArn,
      moved,
      toMove: candidates.length,
      startedAt: now,
    };
    if (destinationArn !== undefined) task.destinationArn = destinationArn;
    if (rate !== undefined) task.maxNumberOfMessagesPerSecond = rate;
    if (unmovable > 0)
      task.failureReason = `${unmovable} message(s) have no existing source queue to move back to.`;
    this.mutate({ op: 'task', task }, now);
    return handle;
  }

  /** Most recent tasks first (ListMessageMoveTasks: up to 10, default 1). */
  listMessageMoveTasks(sourceArn: string, maxResults: number): MoveTaskRecord[] {
    checkRange('MaxResults', maxResults, 1, 10);
    if (!this.queues.has(this.nameFromArn(sourceArn) ?? '')) {
      throw new SqsError(
        'ResourceNotFoundException',
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    }
    return [...this.tasks.values()]
      .filter((task) => task.sourceArn === sourceArn)
      .reverse()
      .slice(0, maxResults)
      .map((task) => ({ ...task }));
  }

  /** Tasks finish inside StartMessageMoveTask, so there is never one left to cancel. */
  cancelMessageMoveTask(handle: string): never {
    const task = this.tasks.get(handle);
    throw new SqsError(
      'ResourceNotFoundException',
      task
        ? `The message move task is ${task.status}, not RUNNING.`
        : 'The specified message move task does not exist.',
    );
  }

  // ---- local-only ----------------------------------------------------------------------------

  /** Counts for the local drain endpoint; zeros for a queue that does not exist (yet). */
  stats(name: string): QueueCounts {
    const queue = this.queues.get(name);
    if (!queue) return { visible: 0, inFlight: 0, delayed: 0 };
    this.housekeep(queue, this.clock.now());
    this.flush();
    return queue.counts();
  }

  /** Earliest clock instant at which a hidden message of the queue may become visible. */
  nextDueAt(name: string): number | undefined {
    return this.queues.get(name)?.nextDueAt();
  }

  /** Writes the changes of the current request to the journal (one line, one write). */
  flush(): void {
    if (!this.journal || this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    // After close only housekeeping can change anything (e.g. stats() expiring old messages):
    // the next start derives the same from the clock, so there is nothing to keep.
    if (this.closed) return;
    this.journal.append(records);
    if (this.journal.needsCompaction()) this.journal.compact(this.snapshot());
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.journal?.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private queue(name: string): QueueIndex {
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', NOT_FOUND);
    return queue;
  }

  /** The queue, brought up to `now`: due messages made visible, expired ones deleted. */
  private open(name: string, now: number): QueueIndex {
    const queue = this.queue(name);
    this.housekeep(queue, now);
    return queue;
  }

  private housekeep(queue: QueueIndex, now: number): void {
    queue.promote(now);
    const retentionMs = Number(queue.state.attributes.MessageRetentionPeriod) * 1000;
    for (const id of queue.expired(now, retentionMs))
      this.mutate({ op: 'del', queue: queue.state.name, id }, now);
  }

  private redrivePolicyOf(queue: QueueIndex): RedrivePolicy | undefined {
    const text = queue.state.attributes.RedrivePolicy;
    return text ? parseRedrivePolicy(text) : undefined;
  }

  private checkRedriveTarget(name: string, policyText: string | undefined): void {
    if (!policyText) return;
    const target = this.nameFromArn(parseRedrivePolicy(policyText).deadLetterTargetArn);
    if (target === undefined || target === name || !this.queues.has(target)) {
      throw new SqsError(
        'InvalidAttributeValue',
        `Value ${policyText} for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist or is the queue itself.`,
      );
    }
  }

  private moveToDeadLetter(
    sourceName: string,
    deadLetterName: string,
    record: MessageRecord,
    now: number,
  ): void {
    const message: MessageRecord = { ...record, visibleAt: now, deadLetterSourceArn: this.arnOf(sourceName) };
    delete message.receipt;
    delete message.receivedAt;
    this.mutate({ op: 'put', queue: deadLetterName, message }, now);
    this.mutate({ op: 'del', queue: sourceName, id: record.id }, now);
  }

  private mutate(record: JournalRecord, now: number): void {
    this.apply(record, now);
    if (this.journal) this.pending.push(record);
  }

  /** Applies one record to memory; copies what it keeps so later changes never alias the record. */
  private apply(record: JournalRecord, now: number): void {
    switch (record.op) {
      case 'queue': {
        const state: QueueState = { ...record.queue, attributes: { ...record.queue.attributes } };
        const existing = this.queues.get(state.name);
        if (existing) existing.state = state;
        else this.queues.set(state.name, new QueueIndex(state));
        break;
      }
      case 'dropQueue':
        this.queues.delete(record.name);
        break;
      case 'put':
        this.queues.get(record.queue)?.insert({ ...record.message }, now);
        this.nextSeq = Math.max(this.nextSeq, record.message.seq + 1);
        break;
      case 'set':
        this.queues.get(record.queue)?.update(record.id, record.state, now);
        break;
      case 'del':
        this.queues.get(record.queue)?.remove(record.id);
        break;
      case 'purge':
        this.queues.get(record.queue)?.clear();
        break;
      case 'task': {
        this.tasks.set(record.task.handle, { ...record.task });
        const ofSource = [...this.tasks.values()].filter((task) => task.sourceArn === record.task.sourceArn);
        for (const task of ofSource.slice(0, Math.max(0, ofSource.length - TASKS_KEPT_PER_SOURCE))) {
          this.tasks.delete(task.handle);
        }
        break;
      }
    }
  }

  private restore(snapshot: Snapshot, now: number): void {
    for (const { queue, messages } of snapshot.queues) {
      this.apply({ op: 'queue', queue }, now);
      // In visibility order, so messages that are already visible keep their receive order.
      const ordered = [...messages].sort((a, b) => a.visibleAt - b.visibleAt || a.seq - b.seq);
      for (const message of ordered) this.apply({ op: 'put', queue: queue.name, message }, now);
    }
    for (const task of snapshot.tasks) this.apply({ op: 'task', task }, now);
  }

  private snapshot(): Snapshot {
    return {
      queues: [...this.queues.values()].map((queue) => ({
        queue: queue.state,
        messages: [...queue.records()],
      })),
      tasks: [...this.tasks.values()],
    };
  }
}

/** Receipt handle = base64url("<message id> <receive token>"); a new token on every receive. */
function encodeReceipt(id: string, receipt: string): string {
  return Buffer.from(`${id} ${receipt}`, 'utf8').toString('base64url');
}

function decodeReceipt(handle: string): { id: string; receipt: string } {
  const text = Buffer.from(handle, 'base64url').toString('utf8');
  const [id, receipt, ...rest] = text.split(' ');
  if (!id || !receipt || rest.length > 0 || encodeReceipt(id, receipt) !== handle) {
    throw new SqsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
    );
  }
  return { id, receipt };
}
