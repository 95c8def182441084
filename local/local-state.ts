import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWebhookSecret } from '#adapters/webhook/signature';

export interface LocalSecrets {
  adminApiKey: string;
  webhookSecret: string;
  /** Which of them were generated on this start (and so are printed once). */
  generated: ('ADMIN_API_KEY' | 'WEBHOOK_SECRET')[];
}

interface StoredSecrets {
  adminApiKey?: string;
  webhookSecret?: string;
}

/** Writes via a temporary file and a rename, so a kill mid-write never leaves half a file. */
export function writeFileAtomically(path: string, content: string, mode = 0o600): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, path);
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * The admin key and the webhook secret: from the environment when given, else the ones kept in
 * DATA_DIR, else new ones (kept for the next start).
 */
export function loadSecrets(
  dataDir: string,
  env: { adminApiKey?: string; webhookSecret?: string },
): LocalSecrets {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'secrets.json');
  const stored = (readJson(path) ?? {}) as StoredSecrets;
  const generated: LocalSecrets['generated'] = [];
  const adminApiKey =
    env.adminApiKey ??
    stored.adminApiKey ??
    (generated.push('ADMIN_API_KEY'), `occ_admin_${randomBytes(24).toString('base64url')}`);
  const webhookSecret =
    env.webhookSecret ?? stored.webhookSecret ?? (generated.push('WEBHOOK_SECRET'), generateWebhookSecret());
  if (generated.length > 0) {
    writeFileAtomically(
      path,
      JSON.stringify({
        adminApiKey: stored.adminApiKey ?? adminApiKey,
        webhookSecret: stored.webhookSecret ?? webhookSecret,
      }),
    );
  }
  return { adminApiKey, webhookSecret, generated };
}

/** The last simulated instant, so a restart never moves the clock backwards. */
export function loadClockInstant(dataDir: string): number | undefined {
  return (readJson(join(dataDir, 'clock.json')) as { now?: number } | undefined)?.now;
}

export function saveClockInstant(dataDir: string, now: number): void {
  writeFileAtomically(
    join(dataDir, 'clock.json'),
    JSON.stringify({ now, iso: new Date(now).toISOString() }),
    0o644,
  );
}
