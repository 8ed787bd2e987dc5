import { describe, expect, it } from 'vitest';
import { classifyAddress, isIpLiteral, refusalReason, type AddressClass } from './ip-ranges.js';

describe('classifyAddress', () => {
  const cases: [string, AddressClass][] = [
    ['8.8.8.8', 'public'],
    ['193.105.74.10', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['[2a00:1450:4001:80b::200e]', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fec0::1', 'unique-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.127.255.254', 'carrier-grade-nat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    // IPv6 forms that reach an IPv4 address are judged by that address.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['example.com', 'invalid'],
    ['', 'invalid'],
    ['127.1', 'invalid'],
    ['0x7f.0.0.1', 'invalid'],
  ];
  it.each(cases)('%s → %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('refusalReason', () => {
  it('permits public addresses', () => {
    expect(refusalReason('8.8.8.8', { allowLoopback: false })).toBeNull();
  });
  it('permits loopback only when allowed', () => {
    expect(refusalReason('127.0.0.1', { allowLoopback: true })).toBeNull();
    expect(refusalReason('::1', { allowLoopback: true })).toBeNull();
    expect(refusalReason('127.0.0.1', { allowLoopback: false })).toBe(
      'a loopback address (loopback providers are allowed only with TERN_ALLOW_LOOPBACK_PROVIDER=true)',
    );
  });
  it('never permits other internal ranges', () => {
    for (const ip of ['10.0.0.1', '169.254.169.254', 'fd00::1', '100.64.0.1', '0.0.0.0']) {
      expect(refusalReason(ip, { allowLoopback: true })).not.toBeNull();
    }
    expect(refusalReason('169.254.169.254', { allowLoopback: true })).toBe(
      'a cloud metadata address',
    );
  });
});

describe('isIpLiteral', () => {
  it.each([
    ['1.2.3.4', true],
    ['[::1]', true],
    ['::1', true],
    ['localhost', false],
    ['1.2.3', false],
    ['api.infobip.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isIpLiteral(host)).toBe(expected);
  });
});
