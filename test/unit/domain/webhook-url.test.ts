import { describe, expect, it } from 'vitest';
import { AllowedHosts, parseAllowedHosts } from '#domain/allowed-hosts';
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH, type WebhookUrlPolicy } from '#domain/webhook-url';

const allowList = (text: string): AllowedHosts => {
  const parsed = parseAllowedHosts(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
};
const aws: WebhookUrlPolicy = { requireHttps: true, allowed: AllowedHosts.none() };
const local: WebhookUrlPolicy = { requireHttps: false, allowed: AllowedHosts.none() };
const localAllowing = (text: string): WebhookUrlPolicy => ({ requireHttps: false, allowed: allowList(text) });
const problemOf = (url: string, policy: WebhookUrlPolicy): string | undefined => {
  const check = checkWebhookUrl(url, policy);
  return check.ok ? undefined : check.problem;
};

describe('checkWebhookUrl: scheme, credentials, fragment', () => {
  it('given a public https URL, when checked for AWS, then it is accepted', () => {
    const check = checkWebhookUrl('https://hooks.example.com/occasions?team=7', aws);

    expect(check).toMatchObject({ ok: true });
    expect(check.ok && check.url.hostname).toBe('hooks.example.com');
  });

  it('given an http URL, when checked for AWS, then https is required', () => {
    expect(problemOf('http://hooks.example.com/', aws)).toBe('webhook URL must use https');
  });

  it('given an http URL, when checked locally, then it is accepted', () => {
    expect(problemOf('http://hooks.example.com/', local)).toBeUndefined();
  });

  it.each(['ftp://hooks.example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://x/'])(
    'given the non-http URL %s, when checked, then it is refused',
    (url) => {
      expect(problemOf(url, local)).toBe('webhook URL must use http or https');
      expect(problemOf(url, aws)).toBe('webhook URL must use https');
    },
  );

  it.each(['not a url', '/relative/path', 'https://', ''])(
    'given "%s", when checked, then it is not a URL',
    (url) => {
      expect(problemOf(url, aws)).toBe('webhook URL is not a valid absolute URL');
    },
  );

  it.each([
    'https://user:secret@hooks.example.com/',
    'https://user@hooks.example.com/',
    'https://:pw@hooks.example.com/',
  ])('given credentials in %s, when checked, then they are refused', (url) => {
    expect(problemOf(url, aws)).toBe('webhook URL must not contain credentials');
  });

  it.each(['https://hooks.example.com/#frag', 'https://hooks.example.com/#'])(
    'given the fragment in %s, when checked, then it is refused',
    (url) => {
      expect(problemOf(url, aws)).toBe('webhook URL must not contain a fragment');
    },
  );

  it('given a URL longer than the limit, when checked, then it is refused', () => {
    const url = `https://hooks.example.com/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`;

    expect(problemOf(url, aws)).toBe(`webhook URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  });
});

describe('checkWebhookUrl: address literals', () => {
  const refusedLiterals: readonly (readonly [string, string])[] = [
    ['http://127.0.0.1:8080/hook', 'webhook address 127.0.0.1 is loopback'],
    ['http://10.0.0.7/', 'webhook address 10.0.0.7 is private'],
    ['http://172.20.1.1/', 'webhook address 172.20.1.1 is private'],
    ['http://192.168.0.10/', 'webhook address 192.168.0.10 is private'],
    ['http://169.254.10.10/', 'webhook address 169.254.10.10 is link-local'],
    ['http://100.64.1.1/', 'webhook address 100.64.1.1 is carrier-grade NAT (shared address space)'],
    [
      'http://169.254.169.254/latest/meta-data/',
      'webhook address 169.254.169.254 is a cloud metadata endpoint',
    ],
    ['http://0.0.0.0/', 'webhook address 0.0.0.0 is unspecified'],
    ['http://224.0.0.251/', 'webhook address 224.0.0.251 is multicast'],
    ['http://[::1]/', 'webhook address ::1 is loopback'],
    ['http://[::]/', 'webhook address :: is unspecified'],
    ['http://[fd00:ec2::254]/', 'webhook address fd00:ec2::254 is a cloud metadata endpoint'],
    ['http://[fc00::1]/', 'webhook address fc00::1 is private'],
    ['http://[fe80::1]/', 'webhook address fe80::1 is link-local'],
    ['http://[ff02::1]/', 'webhook address ff02::1 is multicast'],
    // Spellings the WHATWG URL parser (and so every HTTP client) reads as 127.0.0.1.
    ['http://2130706433/', 'webhook address 127.0.0.1 is loopback'],
    ['http://0x7f.1/', 'webhook address 127.0.0.1 is loopback'],
    ['http://0x7f000001/', 'webhook address 127.0.0.1 is loopback'],
    ['http://017700000001/', 'webhook address 127.0.0.1 is loopback'],
    ['http://0177.0.0.1/', 'webhook address 127.0.0.1 is loopback'],
    ['http://127.1/', 'webhook address 127.0.0.1 is loopback'],
    ['http://0/', 'webhook address 0.0.0.0 is unspecified'],
    // IPv4 inside IPv6.
    ['http://[::ffff:127.0.0.1]/', 'webhook address ::ffff:7f00:1 (IPv4 127.0.0.1) is loopback'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', 'webhook address ::ffff:7f00:1 (IPv4 127.0.0.1) is loopback'],
    [
      'http://[::ffff:169.254.169.254]/',
      'webhook address ::ffff:a9fe:a9fe (IPv4 169.254.169.254) is a cloud metadata endpoint',
    ],
    ['http://[64:ff9b::10.0.0.1]/', 'webhook address 64:ff9b::a00:1 (IPv4 10.0.0.1) is private'],
  ];

  it.each(refusedLiterals)('given %s, when checked, then it is refused: %s', (url, problem) => {
    expect(problemOf(url, local)).toMatch(new RegExp(`^${escapeRegExp(problem)}; `));
  });

  it('given a private literal, when refused, then the message says how to allow it', () => {
    expect(problemOf('http://127.0.0.1/', local)).toBe(
      'webhook address 127.0.0.1 is loopback; allow it with WEBHOOK_ALLOWED_HOSTS',
    );
  });

  it.each(['https://93.184.215.14/hook', 'https://[2606:4700:4700::1111]/hook', 'https://[::ffff:8.8.8.8]/'])(
    'given the public literal %s, when checked, then it is accepted',
    (url) => {
      expect(problemOf(url, aws)).toBeUndefined();
    },
  );

  it.each(['http://localhost:3000/', 'http://LOCALHOST./', 'http://api.localhost/'])(
    'given the loopback name %s, when checked, then it is refused without asking DNS',
    (url) => {
      expect(problemOf(url, local)).toMatch(
        /^webhook host .*localhost\.? is loopback; allow it with WEBHOOK_ALLOWED_HOSTS$/,
      );
    },
  );

  it('given a host name, when checked at save time, then it is accepted (its addresses are checked at send time)', () => {
    expect(problemOf('https://internal.corp.example/hook', aws)).toBeUndefined();
  });
});

describe('checkWebhookUrl with WEBHOOK_ALLOWED_HOSTS', () => {
  const cases: readonly (readonly [allowList: string, url: string, allowed: boolean])[] = [
    // by address
    ['127.0.0.1', 'http://127.0.0.1:9000/', true],
    ['127.0.0.1', 'http://2130706433:9000/', true],
    ['127.0.0.1', 'http://127.0.0.2/', false],
    // by address and port
    ['127.0.0.1:9000', 'http://127.0.0.1:9000/', true],
    ['127.0.0.1:9000', 'http://127.0.0.1:9001/', false],
    ['127.0.0.1:80', 'http://127.0.0.1/', true],
    ['127.0.0.1:443', 'http://127.0.0.1/', false],
    ['127.0.0.1:443', 'https://127.0.0.1/', true],
    ['[::1]:8443', 'http://[::1]:8443/', true],
    ['[::1]:8443', 'http://[::1]:8444/', false],
    ['::1', 'http://[0:0:0:0:0:0:0:1]/', true],
    // by CIDR
    ['10.0.0.0/8', 'http://10.20.30.40/', true],
    ['10.0.0.0/8', 'http://11.0.0.1/', true], // public anyway
    ['10.0.0.0/8', 'http://192.168.0.1/', false],
    ['192.168.1.0/24', 'http://192.168.1.77:8080/', true],
    ['192.168.1.0/24', 'http://192.168.2.77/', false],
    ['fd00::/8', 'http://[fd12::1]/', true],
    ['fd00::/8', 'http://[fc00::1]/', false],
    ['127.0.0.0/8', 'http://[::ffff:127.0.0.9]/', true],
    // by name
    ['localhost', 'http://localhost:3000/', true],
    ['localhost:3000', 'http://localhost:3000/', true],
    ['localhost:3000', 'http://localhost:3001/', false],
    ['LocalHost', 'http://localhost./', true],
    ['localhost', 'http://127.0.0.1/', false], // a name does not allow the literal address
    // several entries, spaces
    ['hooks.internal, 10.0.0.0/8 ,127.0.0.1:9000', 'http://127.0.0.1:9000/', true],
    // cloud metadata: only an entry naming exactly the address
    ['169.254.0.0/16', 'http://169.254.169.254/', false],
    ['0.0.0.0/0', 'http://169.254.169.254/', false],
    ['169.254.169.254', 'http://169.254.169.254/', true],
    ['169.254.169.254/32', 'http://169.254.169.254/', true],
    ['fd00::/8', 'http://[fd00:ec2::254]/', false],
    ['fd00:ec2::254/128', 'http://[fd00:ec2::254]/', true],
  ];

  it.each(cases)(
    'given WEBHOOK_ALLOWED_HOSTS="%s", when %s is checked, then allowed is %s',
    (list, url, allowed) => {
      expect(checkWebhookUrl(url, localAllowing(list)).ok).toBe(allowed);
    },
  );

  it('given an allowed private address, when checked for AWS over http, then https is still required', () => {
    const policy = { requireHttps: true, allowed: allowList('10.0.0.0/8') };

    expect(problemOf('http://10.0.0.1/', policy)).toBe('webhook URL must use https');
    expect(problemOf('https://10.0.0.1/', policy)).toBeUndefined();
  });
});

describe('parseAllowedHosts', () => {
  it('given an empty or absent list, when parsed, then nothing is allowed', () => {
    for (const text of ['', ' ', ',', ' , ']) {
      const parsed = parseAllowedHosts(text);
      expect(parsed.ok && parsed.value.entries).toEqual([]);
    }
  });

  it('given every kind of entry, when parsed, then each is typed', () => {
    const parsed = parseAllowedHosts(
      'Hooks.Internal, hooks.internal:8443, 2130706433, 127.0.0.1:9000, [::1]:8443, ::1, 10.0.0.0/8, fd00::/8',
    );

    expect(parsed.ok && parsed.value.entries).toEqual([
      { kind: 'name', host: 'hooks.internal' },
      { kind: 'name', host: 'hooks.internal', port: 8443 },
      { kind: 'address', address: '127.0.0.1', family: 'ipv4' },
      { kind: 'address', address: '127.0.0.1', family: 'ipv4', port: 9000 },
      { kind: 'address', address: '::1', family: 'ipv6', port: 8443 },
      { kind: 'address', address: '::1', family: 'ipv6' },
      { kind: 'cidr', network: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { kind: 'cidr', network: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
  });

  it.each([
    ['10.0.0.0/33', 'entry "10.0.0.0/33" is not a host, host:port or CIDR: the prefix length must be 0..32'],
    ['fd00::/129', 'entry "fd00::/129" is not a host, host:port or CIDR: the prefix length must be 0..128'],
    ['10.0.0.0/', 'entry "10.0.0.0/" is not a host, host:port or CIDR: the prefix length must be 0..32'],
    ['hooks/8', 'entry "hooks/8" is not a host, host:port or CIDR: the network is not an IP address'],
    ['localhost:0', 'entry "localhost:0" is not a host, host:port or CIDR: the port must be 1..65535'],
    [
      'localhost:70000',
      'entry "localhost:70000" is not a host, host:port or CIDR: the port must be 1..65535',
    ],
    ['localhost:http', 'entry "localhost:http" is not a host, host:port or CIDR: the port must be 1..65535'],
    [
      'fd00::1:8443x',
      'entry "fd00::1:8443x" is not a host, host:port or CIDR: write an IPv6 address with a port as [address]:port',
    ],
    [
      '[hooks]:80',
      'entry "[hooks]:80" is not a host, host:port or CIDR: the bracketed host is not an IPv6 address',
    ],
    [
      '*.corp.example',
      'entry "*.corp.example" is not a host, host:port or CIDR: not a host name or IP address',
    ],
    [
      'https://hooks.internal',
      'entry "https://hooks.internal" is not a host, host:port or CIDR: the network is not an IP address',
    ],
    ['user@hooks', 'entry "user@hooks" is not a host, host:port or CIDR: not a host name or IP address'],
  ])('given the malformed entry %s, when parsed, then the problem names it', (text, problem) => {
    expect(parseAllowedHosts(`localhost, ${text}`)).toEqual({ ok: false, problem });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
