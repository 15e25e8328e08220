import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../engine/clock.js';
import { clockStore, DEFAULT_RATE_LIMITS, parseLimit, rateLimitsFromEnv, surfaceOf } from './rate-limit.js';

function incr(
  store: {
    incr: (k: string, cb: (e: Error | null, r: { current: number; ttl: number }) => void, w: number) => void;
  },
  key: string,
  windowMs: number,
) {
  let out: { current: number; ttl: number } | undefined;
  store.incr(key, (_e, r) => (out = r), windowMs);
  return out!;
}

describe('clock store', () => {
  it('counts a fixed window on the given clock and starts over when it ends', () => {
    const clock = new SimulatedClock(0);
    const Store = clockStore(clock);
    const s = new Store();
    expect(incr(s, 'k', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    clock.advance(15_000);
    expect(incr(s, 'k', 60_000)).toEqual({ current: 2, ttl: 45_000 });
    expect(incr(s, 'other', 60_000)).toEqual({ current: 1, ttl: 60_000 });
    clock.advance(45_000);
    // The window [0, 60 s) is over at 60 s exactly.
    expect(incr(s, 'k', 60_000)).toEqual({ current: 1, ttl: 60_000 });
  });

  it('reads without counting, and a child store keeps counters of its own', () => {
    const clock = new SimulatedClock(0);
    const s = new (clockStore(clock))();
    incr(s, 'k', 1000);
    let seen: unknown;
    s.read('k', (_e, r) => (seen = r), 1000);
    expect(seen).toEqual({ current: 1, ttl: 1000 });
    expect(incr(s.child(), 'k', 1000).current).toBe(1);
    clock.advance(1000);
    s.read('k', (_e, r) => (seen = r), 1000);
    expect(seen).toEqual({ current: 0, ttl: 0 });
  });

  it('sweeps ended windows, then the oldest counters, when it holds too many keys', () => {
    const clock = new SimulatedClock(0);
    const s = new (clockStore(clock, 3))();
    for (const k of ['a', 'b', 'c']) incr(s, k, 1000);
    clock.advance(500);
    incr(s, 'd', 1000); // nothing ended: the oldest goes
    expect(s.size).toBe(3);
    clock.advance(1000);
    incr(s, 'e', 1000); // every earlier window ended
    expect(s.size).toBe(1);
  });
});

describe('limit settings', () => {
  it('reads N/unit and off', () => {
    expect(parseLimit('X', '600/min')).toEqual({ max: 600, windowMs: 60_000 });
    expect(parseLimit('X', '20/s')).toEqual({ max: 20, windowMs: 1000 });
    expect(parseLimit('X', '5000 / h')).toEqual({ max: 5000, windowMs: 3_600_000 });
    expect(parseLimit('X', 'off')).toBe(false);
    expect(() => parseLimit('BATON_RATE_LIMIT_API_KEY', 'fast')).toThrow(
      /BATON_RATE_LIMIT_API_KEY must be "off" or a count per unit like "600\/min"/,
    );
    expect(() => parseLimit('X', '0/s')).toThrow(/at least 1 request/);
  });

  it('builds the limits from the environment over the defaults', () => {
    expect(rateLimitsFromEnv({})).toEqual(DEFAULT_RATE_LIMITS);
    expect(rateLimitsFromEnv({ BATON_RATE_LIMIT: 'off' })).toBe(false);
    const l = rateLimitsFromEnv({
      BATON_RATE_LIMIT_INGEST_KEY: '100/s',
      BATON_RATE_LIMIT_TRACKING_IP: 'off',
    });
    expect(l && l.ingest.perKey).toEqual({ max: 100, windowMs: 1000 });
    expect(l && l.tracking.perIp).toBe(false);
    expect(l && l.api).toEqual(DEFAULT_RATE_LIMITS.api);
    expect(() => rateLimitsFromEnv({ BATON_RATE_LIMIT: '50/s,burst=200' })).toThrow(
      /BATON_RATE_LIMIT must be "on" or "off".*BATON_RATE_LIMIT_API_KEY/,
    );
  });

  it('knows which surface a path belongs to', () => {
    expect(surfaceOf('/api/v1/contacts?limit=5')).toBe('api');
    expect(surfaceOf('/v1/batch')).toBe('ingest');
    expect(surfaceOf('/t/o/abc.gif')).toBe('tracking');
    expect(surfaceOf('/u/abc')).toBe('tracking');
    expect(surfaceOf('/healthz')).toBeUndefined();
    expect(surfaceOf('/v1x')).toBeUndefined();
    expect(surfaceOf('/assets/index.js')).toBeUndefined();
  });
});
