import { describe, expect, it } from 'vitest';
import { parseRateLimit, rateLimitKey, TokenBuckets } from './rate-limit.js';

describe('token buckets', () => {
  it('lets a burst through, then one request per 1/rate seconds, with the wait to the next token', () => {
    const b = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([b.take('k', 0), b.take('k', 0), b.take('k', 0)].every((a) => a.ok)).toBe(true);
    expect(b.take('k', 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    // 2 per second: half a second later one token is back, and only one.
    expect(b.take('k', 500).ok).toBe(true);
    expect(b.take('k', 500).ok).toBe(false);
    // Refill never exceeds the burst.
    for (let i = 0; i < 3; i++) expect(b.take('k', 60_000).ok).toBe(true);
    expect(b.take('k', 60_000).ok).toBe(false);
  });

  it('gives each key its own bucket and rounds the wait up to whole seconds', () => {
    const b = new TokenBuckets({ perSecond: 0.25, burst: 1 });
    expect(b.take('a', 0).ok).toBe(true);
    expect(b.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 4 });
    expect(b.take('a', 2500)).toEqual({ ok: false, retryAfterSeconds: 2 });
    expect(b.take('b', 0).ok).toBe(true);
  });

  it('forgets refilled buckets when there are too many keys', () => {
    const b = new TokenBuckets({ perSecond: 1, burst: 1, maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) b.take(k, 0);
    b.take('d', 5_000);
    expect(b.size).toBe(1);
  });

  it('keys by credentials (hashed, never the key itself) or else by address', () => {
    const k = rateLimitKey('Bearer bk_secret', '10.0.0.1');
    expect(k).toMatch(/^key:[A-Za-z0-9_-]{22}$/);
    expect(k).not.toContain('secret');
    expect(rateLimitKey('Bearer bk_secret', '10.0.0.2')).toBe(k);
    expect(rateLimitKey(undefined, '10.0.0.1')).toBe('ip:10.0.0.1');
  });

  it('reads BATON_RATE_LIMIT', () => {
    expect(parseRateLimit(undefined)).toEqual({ perSecond: 100, burst: 1000 });
    expect(parseRateLimit('off')).toBe(false);
    expect(parseRateLimit('50/s,burst=200')).toEqual({ perSecond: 50, burst: 200 });
    expect(parseRateLimit('5/s')).toEqual({ perSecond: 5, burst: 50 });
    expect(() => parseRateLimit('fast')).toThrow(/BATON_RATE_LIMIT must be "off" or like "50\/s,burst=200"/);
  });
});
