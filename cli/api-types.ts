/*
 * The shapes of the API answers the CLI reads (docs/openapi.json is the reference). Kept to the
 * fields the CLI uses: it is a client of the public API, not of the service's code.
 */

export const NOTIFICATION_STATUSES = [
  'queued',
  'sending',
  'retrying',
  'delivered',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Notification {
  id: string;
  userId: string;
  type: string;
  eventId: string | null;
  localDate: string;
  timezone: string;
  scheduledFor: string;
  status: NotificationStatus;
  statusReason: string | null;
  attemptCount: number;
  deferralCount: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastError: string | null;
  correlationId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Attempt {
  sequence: number;
  at: string;
  durationMs: number;
  outcome: 'delivered' | 'retryable' | 'rate-limited' | 'permanent';
  statusCode: number | null;
  error: string | null;
  response: string | null;
  trigger: 'scheduled' | 'manual' | 'replay';
}

export interface NotificationWithAttempts extends Notification {
  attempts: Attempt[];
}

export interface DeadLetter {
  messageId: string;
  occurrenceId: string | null;
  userId: string | null;
  notificationStatus: NotificationStatus | null;
  receiveCount: number;
  sentAt: string;
  firstReceivedAt: string | null;
  reason: string | null;
}

export interface DeadLetterList {
  items: DeadLetter[];
  approximateCount: number;
}

export interface RedriveResult {
  messageId: string;
  status: 200 | 404 | 409 | 422;
  outcome: 'redriven' | 'not-found' | 'already-final' | 'unreadable';
  occurrenceId: string | null;
  notificationStatus: NotificationStatus | null;
  detail: string;
}

export interface RedriveAnswer {
  results: RedriveResult[];
  remaining: number;
}

export interface ReplayCounts {
  matched: number;
  requeued: number;
  skippedDelivered: number;
  skippedInFlight: number;
  skippedOtherStatus: number;
  skippedChanged: number;
}

export interface ReplayRequest {
  from: string;
  to: string;
  type: string | null;
  userId: string | null;
  status: string[];
  force: boolean;
}

export interface ReplayDryRun {
  dryRun: true;
  id: string;
  request: ReplayRequest;
  counts: ReplayCounts;
  limit: number;
}

export interface ReplayJob {
  id: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  request: ReplayRequest;
  total: number;
  counts: ReplayCounts;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Circuit {
  endpoint: string;
  state: 'closed' | 'open' | 'half-open';
  failures: number;
  openSince: string | null;
  openUntil: string | null;
  forced: boolean;
  probing: boolean;
  updatedAt: string | null;
  version: number;
}

export interface BulkResult {
  index: number;
  op: string;
  status: number;
  id?: string;
  errors?: { path: string; message: string }[];
}

export interface BulkAnswer {
  results: BulkResult[];
  summary: Record<string, number>;
}
