/*
 * What the admin API answers, as its two clients read it: the console (console/src) and the CLI
 * (cli/). One file for both, with no import at all, so the browser bundle and the console's
 * tsconfig (DOM, no Node types) can use it: even a type-only import of the server's zod schemas
 * (functions/api/schemas) would make that tsconfig check what they import, down to node:crypto
 * and Buffer. test/unit/console/api-types.test.ts checks under the root tsconfig that every
 * answer the schemas allow fits these types. Only the fields the clients show are listed;
 * docs/openapi.json is the full description.
 */

export type Role = 'admin' | 'viewer';

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

/** `GET /v1/notifications/{id}`: the notification with every attempt. */
export interface NotificationDetail extends Notification {
  attempts: Attempt[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DeadLetter {
  messageId: string;
  occurrenceId: string | null;
  userId: string | null;
  notificationStatus: NotificationStatus | null;
  planned: boolean;
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

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface Circuit {
  endpoint: string;
  state: CircuitState;
  failures: number;
  openSince: string | null;
  openUntil: string | null;
  forced: boolean;
  probing: boolean;
  updatedAt: string | null;
  version: number;
}

export const REPLAYABLE_STATUSES = ['failed', 'skipped', 'cancelled', 'delivered'] as const;
export type ReplayableStatus = (typeof REPLAYABLE_STATUSES)[number];

export interface ReplayCounts {
  matched: number;
  requeued: number;
  skippedDelivered: number;
  skippedInFlight: number;
  skippedOtherStatus: number;
  skippedChanged: number;
}

export interface ReplayRequestBody {
  from: string;
  to: string;
  type?: string;
  userId?: string;
  status?: ReplayableStatus[];
  force?: boolean;
  dryRun?: boolean;
}

/** The request as a replay job records it (defaults filled in). */
export interface ReplayRequestEcho {
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
  request: ReplayRequestEcho;
  counts: ReplayCounts;
  limit: number;
}

export interface ReplayJob {
  id: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  request: ReplayRequestEcho;
  total: number;
  counts: ReplayCounts;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
}

/** `GET /v1/metrics?minutes=…`: every widget of functions/commons/dashboard-widgets.ts, in row order. */
export interface MetricsAnswer {
  from: string;
  to: string;
  source: 'local' | 'cloudwatch';
  widgets: MetricsWidget[];
}

export interface MetricsWidget {
  id: string;
  title: string;
  unit?: string;
  /** Seconds per datapoint. */
  period: number;
  /** Grid units of 24 per row. */
  width: number;
  row: number;
  /** False for what this runtime cannot measure (locally: Lambda and API Gateway metrics). */
  available: boolean;
  series: MetricSeries[];
}

export interface MetricSeries {
  label: string;
  points: MetricPoint[];
}

export interface MetricPoint {
  t: string;
  v: number;
}

/** One operation's outcome in `POST /v1/users/bulk`. */
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
