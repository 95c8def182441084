/** One admin write, as the audit log keeps it. */
export interface AuditEntry {
  /** Time-ordered (UUIDv7). */
  id: string;
  /** ISO instant of the write. */
  at: string;
  /** The API key that made it (`bootstrap` for ADMIN_API_KEY); never a secret. */
  keyId: string;
  requestId: string;
  method: string;
  path: string;
  status: number;
  resource: string;
  resourceId: string;
  action: 'create' | 'update' | 'delete' | 'command';
  /** The resource as the API showed it before and after (absent for creations and deletions). */
  before?: unknown;
  after?: unknown;
}

export interface AuditQuery {
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
  keyId?: string;
  resource?: string;
  resourceId?: string;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** Append-only record of every admin write; newest first when listed. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** @throws InvalidCursorError for a cursor this service did not issue. */
  list(query: AuditQuery): Promise<AuditPage>;
}
