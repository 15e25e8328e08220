// Address kinds come from the IANA special-purpose registries (RFC 6890 and updates):
// https://www.iana.org/assignments/iana-ipv4-special-registry/ and
// https://www.iana.org/assignments/iana-ipv6-special-registry/ ; RFC 1918 (private), RFC 6598 (shared
// address space, CGNAT), RFC 3927 (IPv4 link-local), RFC 4193 (unique local), RFC 4291 §2.5.5.2
// (IPv4-mapped IPv6), RFC 6052 (NAT64 64:ff9b::/96), RFC 3056 (6to4), RFC 8215 (local-use NAT64
// 64:ff9b:1::/48), RFC 2765 §2.1 (IPv4-translated ::ffff:0:0/96).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTargetUrl, classifyAddress, guardedLookup, isBlockedAddress } from './http-guard.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::ffff:192.168.0.1]', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    // Local-use NAT64 (RFC 8215) is the local network's translator, whatever IPv4 address it carries.
    ['64:ff9b:1::8.8.8.8', 'private'],
    ['64:ff9b:1::a00:1', 'private'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'private'],
    // IPv4-translated (RFC 2765): refused, naming an internal IPv4 address as what it is.
    ['::ffff:0:8.8.8.8', 'reserved'],
    ['::ffff:0:808:808', 'reserved'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['[::ffff:0:169.254.169.254]', 'link-local'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:2800:21f:cb07::1',
    '::ffff:8.8.8.8',
    // Just outside 64:ff9b:1::/48 and ::ffff:0:0/96.
    '64:ff9b:2::808:808',
    '64:ff9b:0:1::808:808',
    '::fffe:0:808:808',
    '0:0:0:1:ffff:0:808:808',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeNull();
  });
});

describe('classifyAddress properties', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(octet, octet, octet, octet);

  it('an IPv4 address inside IPv6 (mapped, dotted or hex) is judged as the IPv4 address', () => {
    fc.assert(
      fc.property(v4, ([a, b, c, d]) => {
        const dotted = `${a}.${b}.${c}.${d}`;
        const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        const kind = classifyAddress(dotted);
        expect(classifyAddress(`::ffff:${dotted}`)).toBe(kind);
        expect(classifyAddress(`::ffff:${hex}`)).toBe(kind);
        expect(classifyAddress(`64:ff9b::${dotted}`)).toBe(kind);
      }),
    );
  });

  it('every address of 10/8, 127/8, 169.254/16 and 100.64/10 is internal (RFC 1918, 1122, 3927, 6598)', () => {
    fc.assert(
      fc.property(octet, octet, octet, fc.integer({ min: 64, max: 127 }), (b, c, d, cgnat) => {
        expect(classifyAddress(`10.${b}.${c}.${d}`)).toBe('private');
        expect(classifyAddress(`127.${b}.${c}.${d}`)).toBe('loopback');
        expect(classifyAddress(`169.254.${c}.${d}`)).toBe('link-local');
        expect(classifyAddress(`100.${cgnat}.${c}.${d}`)).toBe('shared (CGNAT)');
      }),
    );
  });
});

describe('the refused IPv6 translation prefixes', () => {
  it('every address of 64:ff9b:1::/48 and ::ffff:0:0/96 is refused (RFC 8215, RFC 2765)', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 5, maxLength: 5 }),
        fc.array(group, { minLength: 2, maxLength: 2 }),
        (local, v4) => {
          expect(classifyAddress(`64:ff9b:1:${local.join(':')}`)).not.toBeNull();
          expect(classifyAddress(`::ffff:0:${v4.join(':')}`)).not.toBeNull();
        },
      ),
    );
  });
});

describe('checkTargetUrl', () => {
  const strict = { requireHttps: true, allowPrivateHosts: false, allowedHosts: [] };
  const dev = { requireHttps: false, allowPrivateHosts: false, allowedHosts: [] };

  it.each([
    ['http://hooks.example.com/x', strict, 'https'],
    ['ftp://hooks.example.com/x', dev, 'only https'],
    ['https://user:pw@hooks.example.com/x', strict, 'user name'],
    ['https://127.0.0.1/x', strict, 'loopback'],
    ['https://10.0.0.8/x', strict, 'private'],
    ['https://[::1]/x', strict, 'loopback'],
    ['https://[::ffff:127.0.0.1]/x', strict, 'loopback'],
    // The WHATWG URL parser normalises other spellings of 127.0.0.1 before the check sees them.
    ['https://0x7f.1/x', strict, 'loopback'],
    ['https://2130706433/x', strict, 'loopback'],
    [
      'https://evil.example.net/x',
      { ...strict, allowedHosts: ['hooks.example.com'] },
      'allowed webhook hosts',
    ],
  ])('refuses %s', (url, policy, reason) => {
    const r = checkTargetUrl(url, policy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('accepts public https, http outside production, allowlisted subdomains, and private hosts when allowed', () => {
    expect(checkTargetUrl('https://hooks.example.com/x', strict).ok).toBe(true);
    expect(checkTargetUrl('http://hooks.example.com/x', dev).ok).toBe(true);
    expect(
      checkTargetUrl('https://a.hooks.example.com/x', { ...strict, allowedHosts: ['*.hooks.example.com'] })
        .ok,
    ).toBe(true);
    expect(
      checkTargetUrl('https://hooks.example.com/x', { ...strict, allowedHosts: ['*.hooks.example.com'] }).ok,
    ).toBe(false);
    expect(checkTargetUrl('http://127.0.0.1:8080/x', { ...dev, allowPrivateHosts: true }).ok).toBe(true);
  });
});

describe('guardedLookup', () => {
  const lookup = (allow: boolean, host: string, all: boolean) =>
    new Promise<{ err: Error | null; value: unknown }>((resolve) => {
      (guardedLookup(allow) as unknown as (h: string, o: object, cb: (...a: unknown[]) => void) => void)(
        host,
        { all },
        (err, value) => resolve({ err: err as Error | null, value }),
      );
    });

  it('refuses a name that resolves to loopback (localhost, from the hosts file)', async () => {
    const r = await lookup(false, 'localhost', true);
    expect(isBlockedAddress(r.err)).toBe(true);
    expect(r.err?.message).toMatch(/localhost resolves to a loopback address/);
  });

  it('answers both lookup shapes when private hosts are allowed', async () => {
    const all = await lookup(true, 'localhost', true);
    expect(all.err).toBeNull();
    expect((all.value as Array<{ address: string }>).some((a) => /^(127\.|::1$)/.test(a.address))).toBe(true);
    const one = await lookup(true, 'localhost', false);
    expect(one.err).toBeNull();
    expect(one.value).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
