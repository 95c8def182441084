import { describe, expect, it } from 'vitest';
import { classifyAddress, ipv6Bytes, type BlockedRange } from '#domain/ip-ranges';

describe('classifyAddress', () => {
  const blocked: readonly (readonly [string, BlockedRange])[] = [
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.0.1', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.170.2', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    // IPv6
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'private'],
    ['::7f00:1', 'reserved'], // IPv4-compatible (deprecated)
  ];

  it.each(blocked)('given %s, when classified, then it is %s', (address, range) => {
    expect(classifyAddress(address)?.range).toBe(range);
  });

  const embedded: readonly (readonly [string, BlockedRange, string])[] = [
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::FFFF:10.1.2.3', 'private', '10.1.2.3'],
    ['::ffff:a9fe:a9fe', 'cloud metadata', '169.254.169.254'],
    ['::ffff:0.0.0.0', 'unspecified', '0.0.0.0'],
    ['64:ff9b::127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'cloud metadata', '169.254.169.254'],
    ['64:ff9b::c0a8:101', 'private', '192.168.1.1'],
    ['2002:7f00:1::1', 'loopback', '127.0.0.1'],
  ];

  it.each(embedded)(
    'given %s, which embeds an IPv4 address, when classified, then it is judged as that address (%s)',
    (address, range, ipv4) => {
      expect(classifyAddress(address)).toEqual({ range, ipv4 });
    },
  );

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255', // just below 172.16/12
    '172.32.0.0', // just above it
    '100.63.255.255', // just below 100.64/10
    '100.128.0.0', // just above it
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('given the public address %s, when classified, then it is not blocked', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });

  it('given something that is not an IP address, when classified, then it throws', () => {
    expect(() => classifyAddress('localhost')).toThrow(TypeError);
  });
});

describe('ipv6Bytes', () => {
  it.each([
    ['::', '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'],
    ['::1', '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1'],
    ['1::', '0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0'],
    ['fe80::1:2', '254,128,0,0,0,0,0,0,0,0,0,0,0,1,0,2'],
    ['1:2:3:4:5:6:7:8', '0,1,0,2,0,3,0,4,0,5,0,6,0,7,0,8'],
    ['::ffff:1.2.3.4', '0,0,0,0,0,0,0,0,0,0,255,255,1,2,3,4'],
    ['1:2:3:4:5:6:1.2.3.4', '0,1,0,2,0,3,0,4,0,5,0,6,1,2,3,4'],
  ])('given %s, when converted, then the bytes are %s', (address, bytes) => {
    expect(ipv6Bytes(address).join(',')).toBe(bytes);
  });
});
