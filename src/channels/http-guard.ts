// Outbound HTTP safety for URLs that workspaces choose (webhooks): only http(s), https when the process is
// in production, no credentials in the URL, the workspace's host allowlist, and never an address inside
// the network Baton runs in (loopback, private, link-local, CGNAT, multicast, unspecified, reserved;
// IPv4 and IPv6, including IPv4 addresses embedded in IPv6) unless the workspace allows private hosts.
// Names are resolved by the connection itself through `guardedLookup`, which checks every address it
// returns, so a DNS answer that changes between a check and the connect (rebinding) cannot slip through.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';

export interface OutboundPolicy {
  /** Refuse plain http:// (production). */
  requireHttps: boolean;
  /** Let targets resolve to loopback, private and other internal addresses (a workspace setting). */
  allowPrivateHosts: boolean;
  /** When not empty, the only hosts allowed: exact names, or `*.example.com` for its subdomains. */
  allowedHosts: string[];
}

export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared (CGNAT)'
  | 'multicast'
  | 'reserved'
  | 'documentation';

/** Raised by the guarded lookup; a refused target is a permanent failure, never retried. */
export class BlockedAddressError extends Error {
  readonly code = 'BATON_BLOCKED_ADDRESS';
}

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates) plus multicast and reserved space.
const V4_RANGES: Array<[string, number, AddressKind]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

const V4 = V4_RANGES.map(([base, bits, kind]) => {
  const size = 2 ** (32 - bits);
  const start = Math.floor(v4ToInt(base) / size) * size;
  return { start, end: start + size - 1, kind };
});

function classifyV4(ip: string): AddressKind | null {
  const n = v4ToInt(ip);
  return V4.find((r) => n >= r.start && n <= r.end)?.kind ?? null;
}

/** The 16 bytes of an IPv6 address (`::` compression and a trailing dotted quad allowed). */
function v6Bytes(ip: string): number[] | null {
  let s = ip;
  let tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    if (isIP(quad[1]!) !== 4) return null;
    const n = v4ToInt(quad[1]!);
    tail = [Math.floor(n / 0x10000), n % 0x10000];
    s = s.slice(0, -quad[1]!.length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  if (groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function classifyV6(ip: string): AddressKind | null {
  // A zone index (fe80::1%eth0) only exists on link-local addresses.
  if (ip.includes('%')) return 'link-local';
  const b = v6Bytes(ip);
  if (!b) return 'reserved';
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const embedded = (from: number) => classifyV4(b.slice(from, from + 4).join('.'));
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d: judged as the IPv4 address.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return embedded(12);
  if (zeros(0, 12)) return embedded(12) ?? 'reserved';
  // IPv4-translated ::ffff:0:a.b.c.d (::ffff:0:0/96, RFC 2765 §2.1): only meaningful behind a translator
  // inside a network, so refused; an internal IPv4 address in it is named as such.
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return embedded(12) ?? 'reserved';
  // NAT64 64:ff9b::/96 (RFC 6052) and 6to4 2002::/16 (RFC 3056) carry an IPv4 address too.
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return embedded(12);
  // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): a translator of the local network, whatever IPv4 address it
  // carries (an operator's own prefix, which may reach its internal IPv4 space).
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0 && b[5] === 1) {
    return 'private';
  }
  if (b[0] === 0x20 && b[1] === 0x02) return embedded(2);
  if (b[0] === 0xff) return 'multicast';
  if ((b[0]! & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'documentation';
  if (b[0] === 0x01 && b[1] === 0x00 && zeros(2, 8)) return 'reserved'; // 100::/64 discard
  return null;
}

/** What kind of internal address `ip` is, or null for a public unicast address. */
export function classifyAddress(ip: string): AddressKind | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare.split('%')[0]!);
  if (family === 4) return classifyV4(bare);
  if (family === 6) return classifyV6(bare);
  return 'reserved';
}

function hostAllowed(host: string, allowed: string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => {
    const p = a.toLowerCase();
    return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

/**
 * The checks that need no network: scheme, credentials, allowlist, and an IP-literal host. Names are
 * checked when they resolve (`guardedLookup`).
 */
export function checkTargetUrl(
  raw: string,
  policy: OutboundPolicy,
): { ok: true; url: URL } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return {
      ok: false,
      reason: `uses ${url.protocol.replace(':', '')}; only https (or http outside production)`,
    };
  }
  if (policy.requireHttps && url.protocol !== 'https:') {
    return { ok: false, reason: 'must use https in production' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (policy.allowedHosts.length > 0 && !hostAllowed(host, policy.allowedHosts)) {
    return { ok: false, reason: `host ${host} is not in the workspace's allowed webhook hosts` };
  }
  if (isIP(host) !== 0 && !policy.allowPrivateHosts) {
    const kind = classifyAddress(host);
    if (kind) return { ok: false, reason: `points to a ${kind} address (${host})` };
  }
  return { ok: true, url };
}

/** A DNS lookup that refuses a name when any of its addresses is internal (unless allowed). */
export function guardedLookup(allowPrivateHosts: boolean): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (!allowPrivateHosts) {
        for (const a of addresses) {
          const kind = classifyAddress(a.address);
          if (kind) {
            return callback(
              new BlockedAddressError(`${hostname} resolves to a ${kind} address (${a.address})`),
              '',
              0,
            );
          }
        }
      }
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
      if (options.all) return (callback as unknown as AllCallback)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;
}

type LookupCallback = (err: Error | null, address: string, family: number) => void;
type AllCallback = (err: Error | null, addresses: LookupAddress[]) => void;

export interface GuardedAgentOptions {
  allowPrivateHosts: boolean;
  connectTimeoutMs: number;
  /** Whole-response limits: time to the headers, and between body chunks. */
  timeoutMs: number;
}

/** An undici Agent whose every connection resolves through `guardedLookup`. Redirects are never followed. */
export function guardedAgent(o: GuardedAgentOptions): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(o.allowPrivateHosts), timeout: o.connectTimeoutMs },
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    keepAliveTimeout: 10_000,
  });
}

/**
 * Up to `maxBytes` of a response body as UTF-8 text, read until `deadline` (a `performance.now()` time): a
 * larger or slow-drip body is cut there and its connection destroyed rather than kept for more, so a
 * receiver cannot make Baton buffer an unbounded answer. A body that errors mid-way gives what was read.
 */
export async function readCappedBody(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  maxBytes: number,
  deadline: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes || performance.now() > deadline) {
        body.destroy();
        break;
      }
    }
  } catch {
    // A body cut short says nothing more about the outcome than the status already did.
  }
  return Buffer.concat(chunks).subarray(0, Math.min(size, maxBytes)).toString('utf8');
}

/** True when an error (or its cause) is a refusal of the target address. */
export function isBlockedAddress(e: unknown): e is Error {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    if (c instanceof BlockedAddressError || (c as { code?: unknown }).code === 'BATON_BLOCKED_ADDRESS')
      return true;
  }
  return false;
}

/** The refusal's message, found in the error or its causes. */
export function blockedReason(e: unknown): string {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    if (c instanceof BlockedAddressError || (c as { code?: unknown }).code === 'BATON_BLOCKED_ADDRESS')
      return (c as Error).message;
  }
  return e instanceof Error ? e.message : String(e);
}
