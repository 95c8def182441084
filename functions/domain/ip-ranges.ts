/**
 * Which IP addresses a webhook must not reach (SSRF guard, issue 3 item 6; docs/security.md).
 *
 * Pure: no DNS, no sockets. `node:net`'s `BlockList` is only used as a CIDR matcher.
 *
 * @example
 * classifyAddress('10.1.2.3'); // { range: 'private' }
 * classifyAddress('::ffff:127.0.0.1'); // { range: 'loopback', ipv4: '127.0.0.1' }
 * classifyAddress('93.184.215.14'); // undefined: public
 */
import { BlockList, isIP } from 'node:net';

export type BlockedRange =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'cloud metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

export interface BlockedAddress {
  range: BlockedRange;
  /** The IPv4 address an IPv6 one embeds (IPv4-mapped, NAT64, 6to4), when that decided it. */
  ipv4?: string;
}

type Family = 'ipv4' | 'ipv6';

/*
 * Most specific first: the first range that contains an address names it (the metadata address
 * is also link-local, fd00:ec2::254 also unique-local). Sources: the IANA IPv4 and IPv6
 * Special-Purpose Address Registries; the cloud providers' instance metadata addresses.
 */
const RANGES: readonly (readonly [BlockedRange, Family, string, number])[] = [
  ['cloud metadata', 'ipv4', '169.254.169.254', 32], // AWS, GCP, Azure, OCI instance metadata
  ['cloud metadata', 'ipv4', '169.254.170.2', 32], // AWS ECS task metadata and credentials
  ['cloud metadata', 'ipv4', '100.100.100.200', 32], // Alibaba Cloud metadata
  ['unspecified', 'ipv4', '0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host
  ['private', 'ipv4', '10.0.0.0', 8],
  ['carrier-grade NAT', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24], // IETF protocol assignments
  ['reserved', 'ipv4', '192.0.2.0', 24], // documentation (TEST-NET-1)
  ['reserved', 'ipv4', '192.88.99.0', 24], // former 6to4 relay anycast
  ['private', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '198.18.0.0', 15], // benchmarking
  ['reserved', 'ipv4', '198.51.100.0', 24], // documentation (TEST-NET-2)
  ['reserved', 'ipv4', '203.0.113.0', 24], // documentation (TEST-NET-3)
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4], // future use, and 255.255.255.255 broadcast
  ['cloud metadata', 'ipv6', 'fd00:ec2::254', 128], // AWS instance metadata over IPv6
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['private', 'ipv6', '64:ff9b:1::', 48], // local-use NAT64 (inside 0000::/8 below)
  ['reserved', 'ipv6', '::', 8], // IPv4-compatible (deprecated) and the rest of 0000::/8
  ['reserved', 'ipv6', '100::', 64], // discard-only
  ['reserved', 'ipv6', '2001::', 23], // IETF protocol assignments, Teredo
  ['reserved', 'ipv6', '2001:db8::', 32], // documentation
  ['reserved', 'ipv6', '3fff::', 20], // documentation
  ['private', 'ipv6', 'fc00::', 7], // unique local
  ['link-local', 'ipv6', 'fe80::', 10],
  ['private', 'ipv6', 'fec0::', 10], // site-local (deprecated)
  ['multicast', 'ipv6', 'ff00::', 8],
];

const MATCHERS = RANGES.map(([range, family, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { range, family, list };
});

/*
 * IPv6 prefixes whose last 32 bits (or, for 6to4, bits 16..47) are an IPv4 address the packet
 * really goes to: they are judged as that IPv4 address.
 */
const EMBEDDING: readonly { network: number[]; prefixBytes: number; ipv4At: number }[] = [
  { network: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], prefixBytes: 12, ipv4At: 12 }, // ::ffff:0:0/96 mapped
  { network: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], prefixBytes: 12, ipv4At: 12 }, // 64:ff9b::/96 NAT64
  { network: [0x20, 0x02], prefixBytes: 2, ipv4At: 2 }, // 2002::/16 6to4
];

/** The address without an IPv6 zone (`fe80::1%eth0`), as the resolver may return it. */
export function withoutZone(address: string): string {
  const percent = address.indexOf('%');
  return percent < 0 ? address : address.slice(0, percent);
}

/**
 * The blocked range `address` falls in, or `undefined` for an address a webhook may reach.
 * Throws on a string that is not an IP address: callers validate resolver answers first.
 */
export function classifyAddress(address: string): BlockedAddress | undefined {
  const bare = withoutZone(address);
  const version = isIP(bare);
  if (version === 0) throw new TypeError(`not an IP address: "${address}"`);
  if (version === 6) {
    const ipv4 = embeddedIpv4(ipv6Bytes(bare));
    if (ipv4 !== undefined) {
      const blocked = classifyAddress(ipv4);
      return blocked ? { range: blocked.range, ipv4 } : undefined;
    }
  }
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  const match = MATCHERS.find((matcher) => matcher.family === family && matcher.list.check(bare, family));
  return match ? { range: match.range } : undefined;
}

function embeddedIpv4(bytes: readonly number[]): string | undefined {
  for (const { network, prefixBytes, ipv4At } of EMBEDDING) {
    if (network.every((byte, index) => index >= prefixBytes || bytes[index] === byte)) {
      return bytes.slice(ipv4At, ipv4At + 4).join('.');
    }
  }
  return undefined;
}

/** The 16 bytes of an address `isIP` already accepted as IPv6 (`::`, a trailing dotted quad). */
export function ipv6Bytes(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // A trailing dotted quad is the last two groups written in decimal.
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groupsOf = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const [head, tail] = text.split('::');
  const left = groupsOf(head);
  const right = groupsOf(tail);
  const zeros = text.includes('::') ? 8 - left.length - right.length : 0;
  return [...left, ...Array<number>(zeros).fill(0), ...right].flatMap((group) => [group >> 8, group & 0xff]);
}
