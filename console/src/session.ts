import { ApiClient } from './api/client';
import type { ApiKeyInfo, Role } from './api/types';

/** Who is signed in: the key itself (for the x-api-key header) and what it may do. */
export interface Session {
  apiKey: string;
  role: Role;
  /** How the console names the key: `key “on-call”`, or `bootstrap admin key`. */
  label: string;
}

/**
 * Where the session lives: sessionStorage, so it survives a reload of this tab and is gone when
 * the tab closes; never localStorage, cookies or the URL. Where storage is disabled, memory only.
 */
const STORAGE_KEY = 'occasions-console.session';
let inMemory: Session | undefined;

export function loadSession(): Session | undefined {
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (stored === null) return inMemory;
    const parsed = JSON.parse(stored) as Partial<Session>;
    if (typeof parsed.apiKey !== 'string' || (parsed.role !== 'admin' && parsed.role !== 'viewer')) {
      return undefined;
    }
    return { apiKey: parsed.apiKey, role: parsed.role, label: parsed.label ?? parsed.role };
  } catch {
    return inMemory;
  }
}

export function saveSession(session: Session): void {
  inMemory = session;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Storage disabled: the session lasts as long as this page.
  }
}

/** Sign out: the key is forgotten everywhere the console kept it. */
export function forgetSession(): void {
  inMemory = undefined;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was stored.
  }
}

/** Keys created at /v1/api-keys: `occ_<id>_<secret>`; anything else can only be the bootstrap key. */
const STORED_KEY = /^occ_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;

/**
 * Checks a key against the API and finds its role without trying a write: a stored key shows
 * itself at GET /v1/api-keys/{id} (any valid key may read it); a key of another shape is the
 * bootstrap admin key if the API accepts it at all.
 *
 * @throws ApiError 401 when the API does not accept the key
 */
export async function signIn(basePath: string, apiKey: string): Promise<Session> {
  const api = new ApiClient(basePath, apiKey);
  const keyId = STORED_KEY.exec(apiKey)?.[1];
  if (keyId === undefined) {
    await api.get('/v1/api-keys', { limit: '1' });
    return { apiKey, role: 'admin', label: 'bootstrap admin key' };
  }
  const info = await api.get<ApiKeyInfo>(`/v1/api-keys/${keyId}`);
  return { apiKey, role: info.role, label: `key “${info.name}”` };
}
