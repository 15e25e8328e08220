// Request rate limiting: one token bucket per API key (the Authorization header, hashed) or, without one,
// per client address. In memory and per process: with N `serve` processes behind a balancer a client gets
// at most N times the rate, which is what a limit against runaway scripts needs (not billing accuracy).
import { createHash } from 'node:crypto';
import { BatonError } from '../domain/errors.js';

export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  perSecond: number;
  /** Requests a key may make at once before the rate applies. */
  burst: number;
  /** Buckets kept before idle ones are swept (default 10,000). */
  maxKeys?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 100, burst: 1000 };

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly options: RateLimitOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new BatonError('config', 'rate limit: perSecond must be > 0 and burst >= 1');
    }
  }

  /** Takes one token from the key's bucket at `now` (milliseconds on any monotonic clock). */
  take(key: string, now: number): Admission {
    const { perSecond, burst } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= (this.options.maxKeys ?? 10_000)) this.sweep(now);
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forgets buckets that have refilled (they behave like new ones), then the oldest if still too many. */
  private sweep(now: number): void {
    const { perSecond, burst } = this.options;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
    }
    const max = this.options.maxKeys ?? 10_000;
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < max) break;
      this.buckets.delete(k);
    }
  }
}

/** The bucket key of a request: its credentials if it has any, else its address. */
export function rateLimitKey(authorization: string | undefined, ip: string): string {
  if (authorization)
    return `key:${createHash('sha256').update(authorization).digest('base64url').slice(0, 22)}`;
  return `ip:${ip}`;
}

/**
 * BATON_RATE_LIMIT: `off`, or `<perSecond>/s` optionally followed by `,burst=<n>` (e.g. `50/s,burst=200`).
 * Unset means the default (100/s, burst 1000).
 */
export function parseRateLimit(value: string | undefined): RateLimitOptions | false {
  if (value === undefined || value.trim() === '') return DEFAULT_RATE_LIMIT;
  if (value.trim() === 'off') return false;
  const m = /^\s*(\d+(?:\.\d+)?)\/s\s*(?:,\s*burst\s*=\s*(\d+))?\s*$/.exec(value);
  if (!m) {
    throw new BatonError(
      'config',
      `BATON_RATE_LIMIT must be "off" or like "50/s,burst=200", got ${JSON.stringify(value)}`,
    );
  }
  const perSecond = Number(m[1]);
  const burst = m[2] === undefined ? Math.max(1, Math.ceil(perSecond * 10)) : Number(m[2]);
  return { perSecond, burst };
}
