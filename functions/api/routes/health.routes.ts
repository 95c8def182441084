import { json } from '../http';
import type { Route } from '../router';

/** Liveness only (no dependencies checked): the local runtime waits on it, and it needs no key. */
export const HEALTH_PATH = '/health';

export function healthRoutes(): Route[] {
  return [{ method: 'GET', path: HEALTH_PATH, handler: () => Promise.resolve(json(200, { status: 'ok' })) }];
}
