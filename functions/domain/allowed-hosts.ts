/**
 * `WEBHOOK_ALLOWED_HOSTS` (CONTRACT section 2): comma-separated `host[:port]` or CIDR entries
 * that webhook URLs entered through the API may use although the address is private, loopback,
 * link-local, CGNAT or reserved. Parsed once at start into an {@link AllowedHosts}.
 *
 * - `name` or `name:port`: a URL whose host is that DNS name (any port, or only that port),
 *   whatever the name resolves to.
 * - `192.168.1.20`, `192.168.1.20:8080`, `[fd00::1]:8443`: that one address (any port, or only
 *   that port), whatever name led to it.
 * - `10.0.0.0/8`, `fd00::/8`: any address in the range, any port.
 *
 * Cloud metadata addresses are the exception: only an entry naming exactly that address (the
 * literal address, or a /32 or /128) allows them, never a name or a wider range.
 *
 * @example
 * const parsed = parseAllowedHosts('localhost:8080, 10.0.0.0/8, hooks.internal');
 * if (parsed.ok) parsed.value.allowsName('localhost', 8080); // true
 */
import { BlockList, isIP } from 'node:net';
import { withoutZone, type BlockedRange } from '#domain/ip-ranges';

type Family = 'ipv4' | 'ipv6';

export type AllowedHostEntry =
  | { kind: 'name'; host: string; port?: number }
  | { kind: 'address'; address: string; family: Family; port?: number }
  | { kind: 'cidr'; network: string; prefix: number; family: Family };

/** Where a request would go: the URL's host name and port, and an address it resolved to. */
export interface Destination {
  hostname: string;
  port: number;
  address?: string;
}

interface CompiledEntry {
  entry: AllowedHostEntry;
  matchesAddress: (address: string, family: Family) => boolean;
  /** Names exactly one address (the only kind that may open a cloud metadata address). */
  exact: boolean;
}

export class AllowedHosts {
  private readonly compiled: readonly CompiledEntry[];

  constructor(readonly entries: readonly AllowedHostEntry[]) {
    this.compiled = entries.map(compile);
  }

  static none(): AllowedHosts {
    return new AllowedHosts([]);
  }

  /** True when a `name[:port]` entry covers this host name and port. */
  allowsName(hostname: string, port: number): boolean {
    const name = normalizeName(hostname);
    return this.entries.some(
      (entry) => entry.kind === 'name' && entry.host === name && (entry.port ?? port) === port,
    );
  }

  /**
   * True when `destination` may go to its (blocked) address: by a name entry for its host name,
   * or by an address or CIDR entry containing the address.
   */
  allows(destination: Destination, range: BlockedRange): boolean {
    const address = destination.address === undefined ? undefined : withoutZone(destination.address);
    if (range !== 'cloud metadata' && this.allowsName(destination.hostname, destination.port)) return true;
    if (address === undefined) return false;
    const family: Family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return this.compiled.some(
      ({ entry, matchesAddress, exact }) =>
        (range !== 'cloud metadata' || exact) &&
        matchesAddress(address, family) &&
        (entry.kind !== 'address' || (entry.port ?? destination.port) === destination.port),
    );
  }
}

function compile(entry: AllowedHostEntry): CompiledEntry {
  if (entry.kind === 'name') return { entry, matchesAddress: () => false, exact: false };
  const list = new BlockList();
  if (entry.kind === 'address') list.addAddress(entry.address, entry.family);
  else list.addSubnet(entry.network, entry.prefix, entry.family);
  const full = entry.family === 'ipv4' ? 32 : 128;
  return {
    entry,
    matchesAddress: (address, family) => list.check(address, family),
    exact: entry.kind === 'address' || entry.prefix === full,
  };
}

/** Lower case, without the trailing dot of a fully qualified name. */
export function normalizeName(hostname: string): string {
  const lower = hostname.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Parses the comma-separated list; the problem names the first malformed entry. */
export function parseAllowedHosts(list: string | readonly string[]): ParseResult<AllowedHosts> {
  const raw = typeof list === 'string' ? list.split(',') : list;
  const entries: AllowedHostEntry[] = [];
  for (const text of raw.map((item) => item.trim()).filter(Boolean)) {
    const parsed = parseEntry(text);
    if (!parsed.ok) return parsed;
    entries.push(parsed.value);
  }
  return { ok: true, value: new AllowedHosts(entries) };
}

const NAME = /^[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.?$/u;

function parseEntry(text: string): ParseResult<AllowedHostEntry> {
  const bad = (why: string): ParseResult<AllowedHostEntry> => ({
    ok: false,
    problem: `entry "${text}" is not a host, host:port or CIDR: ${why}`,
  });

  if (text.includes('/')) {
    const [network = '', prefixText = '', ...extra] = text.split('/');
    const bare = network.replace(/^\[(.*)\]$/, '$1');
    const version = isIP(bare);
    if (extra.length > 0 || version === 0) return bad('the network is not an IP address');
    const max = version === 4 ? 32 : 128;
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!(prefix >= 0 && prefix <= max)) return bad(`the prefix length must be 0..${max}`);
    return {
      ok: true,
      value: { kind: 'cidr', network: bare, prefix, family: version === 4 ? 'ipv4' : 'ipv6' },
    };
  }

  // [v6]:port, [v6], bare v6 (several colons), or host[:port].
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) return bad('the bracketed host is not an IPv6 address');
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const parts = text.split(':');
    if (parts.length > 2) return bad('write an IPv6 address with a port as [address]:port');
    host = parts[0] ?? '';
    portText = parts[1];
  }

  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) return bad('the port must be 1..65535');
  }
  const withPort = port === undefined ? {} : { port };

  if (isIP(host) === 6)
    return { ok: true, value: { kind: 'address', address: host, family: 'ipv6', ...withPort } };
  if (!NAME.test(host)) return bad('not a host name or IP address');
  // The WHATWG URL parser reads a host exactly as it will read the webhook URL's: odd IPv4
  // spellings (2130706433, 0x7f.1) become dotted quads, names become lower-case ASCII.
  let normalized: string;
  try {
    normalized = new URL(`http://${host}/`).hostname;
  } catch {
    return bad('not a host name or IP address');
  }
  if (isIP(normalized) === 4) {
    return { ok: true, value: { kind: 'address', address: normalized, family: 'ipv4', ...withPort } };
  }
  return { ok: true, value: { kind: 'name', host: normalizeName(normalized), ...withPort } };
}
