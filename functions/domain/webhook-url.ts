/**
 * The rules a webhook URL entered through the API must follow (SSRF guard, docs/security.md).
 * The API checks them when the URL is saved; the sender checks them again, and every address the
 * host name resolves to, before each send.
 *
 * @example
 * const policy = { requireHttps: true, allowed: AllowedHosts.none() };
 * checkWebhookUrl('https://hooks.example.com/occasions', policy); // { ok: true, url }
 * checkWebhookUrl('https://10.0.0.7/hook', policy);
 * // { ok: false, problem: 'webhook address 10.0.0.7 is private; allow it with WEBHOOK_ALLOWED_HOSTS' }
 */
import { isIP } from 'node:net';
import { AllowedHosts, normalizeName, type Destination } from '#domain/allowed-hosts';
import { classifyAddress, type BlockedAddress } from '#domain/ip-ranges';

export interface WebhookUrlPolicy {
  /** Only `https:` URLs (true in AWS). Locally `http:` is allowed too. */
  requireHttps: boolean;
  /** `WEBHOOK_ALLOWED_HOSTS`: destinations allowed although their address is blocked. */
  allowed: AllowedHosts;
}

/** The strictest policy: https only, nothing private allowed. The default where none is given. */
export const STRICT_WEBHOOK_URL_POLICY: WebhookUrlPolicy = {
  requireHttps: true,
  allowed: AllowedHosts.none(),
};

/** Longer URLs are refused: no receiver needs one, and they end up in logs and items. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * Checks a webhook URL without any network access: scheme, no credentials, no fragment, and a
 * host that is not a blocked address literal or a `localhost` name unless the policy allows it.
 * Host names are checked again after DNS resolution at send time (see the endpoint guard).
 */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): WebhookUrlCheck {
  const refuse = (problem: string): WebhookUrlCheck => ({ ok: false, problem });
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return refuse(`webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('webhook URL is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refuse(`webhook URL must use ${policy.requireHttps ? 'https' : 'http or https'}`);
  }
  if (policy.requireHttps && url.protocol !== 'https:') return refuse('webhook URL must use https');
  // Credentials would be sent in clear to whoever answers and logged with the URL; the
  // signature is how a receiver authenticates us.
  if (url.username !== '' || url.password !== '') return refuse('webhook URL must not contain credentials');
  // `new URL('https://a/#').hash` is empty although the URL has a fragment: look at the text.
  if (raw.includes('#')) return refuse('webhook URL must not contain a fragment');

  const destination = destinationOf(url);
  const literal = addressLiteralOf(url);
  if (literal !== undefined) {
    const blocked = classifyAddress(literal);
    if (blocked && !policy.allowed.allows({ ...destination, address: literal }, blocked.range)) {
      return refuse(blockedAddressProblem(literal, blocked));
    }
  } else if (isLocalhostName(url.hostname) && !policy.allowed.allowsName(url.hostname, destination.port)) {
    // RFC 6761: these names always mean the machine itself, whatever a resolver would say.
    return refuse(`webhook host ${url.hostname} is loopback; allow it with WEBHOOK_ALLOWED_HOSTS`);
  }
  return { ok: true, url };
}

/** The host name and the port the URL connects to (the scheme's default when none is written). */
export function destinationOf(url: URL): Destination {
  return {
    hostname: normalizeName(url.hostname),
    port: url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port),
  };
}

/** The IP address a URL's host is written as (`[::1]` without brackets), if it is one. */
export function addressLiteralOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? undefined : host;
}

function isLocalhostName(hostname: string): boolean {
  const name = normalizeName(hostname);
  return name === 'localhost' || name.endsWith('.localhost');
}

const RANGE_WORDING: Readonly<Record<BlockedAddress['range'], string>> = {
  loopback: 'loopback',
  private: 'private',
  'link-local': 'link-local',
  'carrier-grade NAT': 'carrier-grade NAT (shared address space)',
  'cloud metadata': 'a cloud metadata endpoint',
  unspecified: 'unspecified',
  multicast: 'multicast',
  reserved: 'reserved',
};

/** The message of a refusal; it says what the operator can do about it. */
export function blockedAddressProblem(address: string, blocked: BlockedAddress, hostname?: string): string {
  const of = hostname === undefined || hostname === address ? '' : ` of ${hostname}`;
  const via = blocked.ipv4 === undefined ? '' : ` (IPv4 ${blocked.ipv4})`;
  const remedy =
    blocked.range === 'cloud metadata'
      ? 'only a WEBHOOK_ALLOWED_HOSTS entry naming exactly this address allows it'
      : 'allow it with WEBHOOK_ALLOWED_HOSTS';
  return `webhook address ${address}${via}${of} is ${RANGE_WORDING[blocked.range]}; ${remedy}`;
}
