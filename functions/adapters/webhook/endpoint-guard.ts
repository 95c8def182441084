import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from '#domain/ip-ranges';
import {
  addressLiteralOf,
  blockedAddressProblem,
  checkWebhookUrl,
  destinationOf,
  type WebhookUrlPolicy,
} from '#domain/webhook-url';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Every address a host name resolves to. The system one asks the operating system's resolver
 * (`dns.lookup`, as `net.connect` would); tests inject a fake one only for names that cannot
 * really resolve (`evil.example`).
 */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** What the guard decided about one send. */
export type EndpointCheck =
  /** Connect to exactly this address; the URL keeps the name (Host header, TLS SNI, certificate). */
  | { kind: 'pinned'; url: URL; address: string; family: 4 | 6 }
  /** Never send: the URL or one of its addresses is not allowed. Permanent: it would be refused again. */
  | { kind: 'refused'; error: string }
  /** The name did not resolve now; it may later (a DNS outage): retryable. */
  | { kind: 'unresolved'; error: string };

/**
 * The send-time half of the SSRF guard (docs/security.md). It checks the URL with the same rules
 * as the API did when it was saved, resolves the host name once, refuses the send if ANY address
 * is blocked and not allowed by `WEBHOOK_ALLOWED_HOSTS`, and hands the sender the one address it
 * checked, so a second DNS answer (DNS rebinding) can never redirect the connection.
 *
 * URLs in `trustedUrls` (the operator's `WEBHOOK_URL`) skip the rules but are pinned the same way.
 *
 * @example
 * const guard = new EndpointGuard({ policy, trustedUrls: [config.webhookUrl] });
 * const check = await guard.check('https://hooks.example.com/occasions');
 * if (check.kind === 'pinned') connectTo(check.address);
 */
export class EndpointGuard {
  private readonly policy: WebhookUrlPolicy;
  private readonly trusted: ReadonlySet<string>;
  private readonly resolve: HostResolver;

  constructor(deps: { policy: WebhookUrlPolicy; trustedUrls?: readonly string[]; resolve?: HostResolver }) {
    this.policy = deps.policy;
    this.trusted = new Set((deps.trustedUrls ?? []).flatMap((url) => hrefOf(url) ?? []));
    this.resolve = deps.resolve ?? systemResolver;
  }

  /** True for a URL the operator configured (compared after URL normalization). */
  isTrusted(rawUrl: string): boolean {
    const href = hrefOf(rawUrl);
    return href !== undefined && this.trusted.has(href);
  }

  async check(rawUrl: string): Promise<EndpointCheck> {
    const trusted = this.isTrusted(rawUrl);
    let url: URL;
    if (trusted) {
      url = new URL(rawUrl);
    } else {
      const checked = checkWebhookUrl(rawUrl, this.policy);
      if (!checked.ok) return { kind: 'refused', error: checked.problem };
      url = checked.url;
    }

    const literal = addressLiteralOf(url);
    let addresses: readonly ResolvedAddress[];
    if (literal !== undefined) {
      // Already checked as a literal by checkWebhookUrl; nothing to resolve.
      addresses = [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolve(url.hostname);
      } catch (error) {
        return { kind: 'unresolved', error: `DNS lookup of ${url.hostname} failed: ${codeOf(error)}` };
      }
      if (addresses.length === 0) {
        return { kind: 'unresolved', error: `DNS lookup of ${url.hostname} returned no address` };
      }
    }

    if (!trusted) {
      const destination = destinationOf(url);
      // Any blocked address refuses the whole send: the OS might connect to any of them, and an
      // attacker controlling the name decides which ones it returns.
      for (const { address } of addresses) {
        if (isIP(address) === 0)
          return { kind: 'refused', error: `DNS answered "${address}", not an address` };
        const blocked = classifyAddress(address);
        if (blocked && !this.policy.allowed.allows({ ...destination, address }, blocked.range)) {
          return { kind: 'refused', error: blockedAddressProblem(address, blocked, destination.hostname) };
        }
      }
    }
    const [first] = addresses;
    if (first === undefined) return { kind: 'unresolved', error: `no address for ${url.hostname}` };
    return { kind: 'pinned', url, address: first.address, family: first.family };
  }
}

function hrefOf(rawUrl: string): string | undefined {
  try {
    return new URL(rawUrl).href;
  } catch {
    return undefined;
  }
}

function codeOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
