import { CliError, ExitCode, UsageError } from './errors';

/** `npm start`'s address (CONTRACT.md: PORT defaults to 3000, bound to 127.0.0.1). */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface Connection {
  baseUrl: URL;
  apiKey: string;
  /** Said on stderr before the first request (e.g. a key about to cross the network in clear). */
  warnings: string[];
}

/**
 * The API's base URL and key, from the flags, else the environment (OCCASIONS_URL,
 * OCCASIONS_API_KEY), else the local default URL. The key never comes from a URL: one with
 * credentials or a query is refused, and not repeated in the message (it may hold the key).
 */
export function resolveConnection(
  flags: { url: string | undefined; apiKey: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const text = flags.url ?? (env.OCCASIONS_URL || undefined) ?? DEFAULT_URL;
  // Named by where it came from, never quoted: a key pasted into the wrong place would be printed.
  const source = flags.url !== undefined ? '--url' : 'OCCASIONS_URL';
  const example = `e.g. ${DEFAULT_URL} or https://abc.execute-api.us-east-1.amazonaws.com/prod`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${source} is not a URL (${example}); it is not repeated here, in case it holds a key`,
    );
  }
  const carried = [
    url.username !== '' || url.password !== '' ? 'credentials' : undefined,
    url.search !== '' ? 'a query' : undefined,
    url.hash !== '' ? 'a fragment' : undefined,
  ].filter((part) => part !== undefined);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // The "scheme" of `occ_admin_…:…` would be the key's start: not shown either.
    throw new UsageError(`${source} must start with http:// or https:// (${example})`);
  }
  if (carried.length > 0) {
    throw new UsageError(
      `${source} must not carry ${carried.join(', ')}: give the key with OCCASIONS_API_KEY or --api-key`,
    );
  }
  const warnings: string[] = [];
  // Paths are joined under the base: `…/prod/v1` would become `…/prod/v1/v1/…`.
  if (/\/v1\/?$/.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/v1\/?$/, '');
    warnings.push(`the API URL should not end in /v1; using ${url.origin}${url.pathname}`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    warnings.push(
      `sending the API key to ${url.host} without TLS (http://); use https:// beyond this machine`,
    );
  }

  const apiKey = flags.apiKey ?? (env.OCCASIONS_API_KEY || undefined);
  if (apiKey === undefined || apiKey.trim() === '') {
    throw new CliError(
      'no API key: set OCCASIONS_API_KEY (or pass --api-key). Locally, `npm start` printed it on its first start ' +
        '(it is kept in DATA_DIR/secrets.json); in AWS, see docs/cli.md.',
      ExitCode.auth,
    );
  }
  return { baseUrl: url, apiKey: apiKey.trim(), warnings };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
