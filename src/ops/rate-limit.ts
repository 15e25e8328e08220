// Request rate limits of the HTTP surfaces: /api/v1 per API key (or session) and per address, ingestion
// (/v1/*) per write key and per address, tracking and unsubscribe (/t/*, /u/*) per address. Counting is
// @fastify/rate-limit's fixed windows, read from a `Clock` so tests can step through a window. The counters
// live in memory (`clockStore`, per process) or in the database (`databaseStore`, src/ops/rate-limit-store.ts),
// which `baton serve` uses on PostgreSQL so N processes behind a balancer share one limit (decision 0023).
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../api/errors.js';
import { BatonError } from '../domain/errors.js';
import { realClock, type Clock } from '../engine/clock.js';
import type { DialectName } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Kysely } from 'kysely';
import { databaseStore } from './rate-limit-store.js';

/** At most `max` requests per `windowMs` (a fixed window that starts at a key's first request). */
export interface Limit {
  max: number;
  windowMs: number;
}

export interface RateLimits {
  api: { perKey: Limit | false; perIp: Limit | false };
  ingest: { perKey: Limit | false; perIp: Limit | false };
  tracking: { perIp: Limit | false };
  /**
   * The time the windows are counted in: the real clock unless a test passes a simulated one. Not the
   * app's clock: the demo runs weeks of simulated time in seconds, but a limit protects real resources.
   */
  clock?: Clock;
  /** Counters kept per limit before expired ones are swept (default 10,000; memory only). */
  maxKeys?: number;
  /**
   * Where the counters live: `memory` (this process; the default) or `database` (the `rate_limit_hits`
   * table, shared by every process on the database). `baton serve` picks `rateLimitStoreFor(dialect)`.
   */
  store?: RateLimitStore;
}

export type RateLimitStore = 'memory' | 'database';

/**
 * PostgreSQL: the database, since several serve processes may share it. SQLite: memory, since one serve
 * process owns the file (and a write per request would queue behind SQLite's one writer).
 */
export function rateLimitStoreFor(dialect: DialectName): RateLimitStore {
  return dialect === 'postgres' ? 'database' : 'memory';
}

const MINUTE = 60_000;

/**
 * Defaults: well above what one well-behaved client sends (a Segment library flushes a batch at most a
 * few times a second; a person clicks a handful of links a minute; the web app makes tens of calls a
 * page) and what a mail provider's image proxy fetches from one address, but they stop a loop or a flood.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  api: { perKey: { max: 6000, windowMs: MINUTE }, perIp: { max: 12_000, windowMs: MINUTE } },
  ingest: { perKey: { max: 30_000, windowMs: MINUTE }, perIp: { max: 60_000, windowMs: MINUTE } },
  tracking: { perIp: { max: 12_000, windowMs: MINUTE } },
};

/** The environment variables of each limit (docs/operations.md). */
export const RATE_LIMIT_VARIABLES = {
  BATON_RATE_LIMIT_API_KEY: ['api', 'perKey'],
  BATON_RATE_LIMIT_API_IP: ['api', 'perIp'],
  BATON_RATE_LIMIT_INGEST_KEY: ['ingest', 'perKey'],
  BATON_RATE_LIMIT_INGEST_IP: ['ingest', 'perIp'],
  BATON_RATE_LIMIT_TRACKING_IP: ['tracking', 'perIp'],
} as const;

const UNITS: Record<string, number> = { s: 1000, sec: 1000, min: MINUTE, m: MINUTE, h: 60 * MINUTE };
export const LIMIT_SPEC = /^\s*(?:off|(\d+)\s*\/\s*(s|sec|min|m|h))\s*$/;

/** `600/min`, `20/s`, `10000/h` or `off`. */
export function parseLimit(name: string, value: string): Limit | false {
  const m = LIMIT_SPEC.exec(value);
  if (!m) {
    throw new BatonError(
      'config',
      `${name} must be "off" or a count per unit like "600/min" (units s, min, h), got ${JSON.stringify(value)}`,
    );
  }
  if (m[1] === undefined) return false;
  const max = Number(m[1]);
  if (!(max >= 1)) throw new BatonError('config', `${name} must allow at least 1 request, got ${value}`);
  return { max, windowMs: UNITS[m[2]!]! };
}

/**
 * The limits from the environment: `BATON_RATE_LIMIT=off` turns every limit off; each
 * `BATON_RATE_LIMIT_<SURFACE>_<KEY|IP>` replaces one default.
 */
export function rateLimitsFromEnv(env: Partial<Record<string, unknown>>): RateLimits | false {
  const text = (name: string) => (typeof env[name] === 'string' ? (env[name] as string) : undefined);
  const all = text('BATON_RATE_LIMIT')?.trim();
  if (all === 'off') return false;
  if (all !== undefined && all !== '' && all !== 'on') {
    throw new BatonError(
      'config',
      `BATON_RATE_LIMIT must be "on" or "off", got ${JSON.stringify(all)} (set each limit with ${Object.keys(RATE_LIMIT_VARIABLES).join(', ')})`,
    );
  }
  const limits: RateLimits = {
    api: { ...DEFAULT_RATE_LIMITS.api },
    ingest: { ...DEFAULT_RATE_LIMITS.ingest },
    tracking: { ...DEFAULT_RATE_LIMITS.tracking },
  };
  for (const [name, [surface, dim]] of Object.entries(RATE_LIMIT_VARIABLES)) {
    const v = text(name);
    if (v === undefined || v.trim() === '') continue;
    (limits[surface] as Record<string, Limit | false>)[dim] = parseLimit(name, v);
  }
  return limits;
}

interface Counter {
  current: number;
  startedAt: number;
}

type Incr = (err: Error | null, res: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store (the plugin's `store` option: `incr`, `read`, `child`) whose fixed windows
 * are measured on a `Clock`. Its local store reads `Date.now()`, which a test cannot move.
 */
export function clockStore(clock: Clock, maxKeys = 10_000) {
  return class ClockStore {
    private readonly counters = new Map<string, Counter>();

    incr(key: string, cb: Incr, timeWindow: number): void {
      const now = clock.now();
      let c = this.counters.get(key);
      if (!c || c.startedAt + timeWindow <= now) {
        if (!c && this.counters.size >= maxKeys) this.sweep(now, timeWindow);
        c = { current: 0, startedAt: now };
        this.counters.set(key, c);
      }
      c.current += 1;
      cb(null, { current: c.current, ttl: c.startedAt + timeWindow - now });
    }

    read(key: string, cb: Incr, timeWindow: number): void {
      const now = clock.now();
      const c = this.counters.get(key);
      if (!c || c.startedAt + timeWindow <= now) cb(null, { current: 0, ttl: 0 });
      else cb(null, { current: c.current, ttl: c.startedAt + timeWindow - now });
    }

    child(): ClockStore {
      return new ClockStore();
    }

    get size(): number {
      return this.counters.size;
    }

    /** Forgets ended windows (they behave like new ones), then the oldest counters if still too many. */
    private sweep(now: number, timeWindow: number): void {
      for (const [k, c] of this.counters) if (c.startedAt + timeWindow <= now) this.counters.delete(k);
      for (const k of this.counters.keys()) {
        if (this.counters.size < maxKeys) break;
        this.counters.delete(k);
      }
    }
  };
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}

/** The API caller: its bearer credentials, else its browser session cookie (hashed, never kept as is). */
export function apiCallerKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth) return `key:${digest(auth)}`;
  const session = /(?:^|;\s*)baton_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  return session ? `session:${digest(session)}` : undefined;
}

/** The ingestion caller: the write key sent as the basic-auth user (the password is ignored, as Segment does). */
export function writeKeyOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(auth);
  if (!basic) return `key:${digest(auth)}`;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const key = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return key ? `key:${digest(key)}` : undefined;
}

type Surface = 'api' | 'ingest' | 'tracking';

export function surfaceOf(url: string): Surface | undefined {
  if (url.startsWith('/api/v1/') || url === '/api/v1') return 'api';
  if (url.startsWith('/v1/')) return 'ingest';
  if (url.startsWith('/t/') || url.startsWith('/u/')) return 'tracking';
  return undefined;
}

const WHO: Record<string, string> = {
  'api.perKey': 'this API key',
  'api.perIp': 'this address on the API',
  'ingest.perKey': 'this write key',
  'ingest.perIp': 'this address on ingestion',
  'tracking.perIp': 'this address on tracking links',
};

function per(windowMs: number): string {
  if (windowMs === 1000) return 'per second';
  if (windowMs === MINUTE) return 'per minute';
  if (windowMs === 60 * MINUTE) return 'per hour';
  return `per ${windowMs / 1000} s`;
}

interface Checker {
  name: string;
  limit: Limit;
  key: (req: FastifyRequest) => string | undefined;
  check: (req: FastifyRequest) => Promise<{ isExceeded?: boolean; ttlInSeconds?: number }>;
}

/**
 * Registers @fastify/rate-limit (no route limited by itself) and one `onRequest` hook that counts each
 * request of a limited surface against its caller's key and its address, before authentication and
 * before the body is read. Over a limit: 429, `Retry-After` (whole seconds to the window's end) and
 * `rate_limited` naming the limit.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: RateLimits,
  db?: Kysely<Database>,
): Promise<void> {
  const clock = limits.clock ?? realClock;
  if (limits.store === 'database' && !db) throw new Error('the database rate-limit store needs the database');
  await app.register(rateLimit, {
    global: false,
    store: limits.store === 'database' && db ? databaseStore(db, clock) : clockStore(clock, limits.maxKeys),
  });
  const byAddress = (req: FastifyRequest) => `ip:${req.ip}`;
  const checkers: Record<Surface, Checker[]> = { api: [], ingest: [], tracking: [] };
  const add = (surface: Surface, dim: 'perKey' | 'perIp', key: Checker['key']) => {
    const limit = (limits[surface] as Record<string, Limit | false>)[dim];
    if (!limit) return;
    checkers[surface].push({
      name: `${surface}.${dim}`,
      limit,
      key,
      check: app.createRateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        // The limit's name first: one table (or one process) holds the counters of every limit.
        keyGenerator: (req) => `${surface}.${dim}:${key(req) ?? ''}`,
      }) as Checker['check'],
    });
  };
  add('api', 'perKey', apiCallerKey);
  add('api', 'perIp', byAddress);
  add('ingest', 'perKey', writeKeyOf);
  add('ingest', 'perIp', byAddress);
  add('tracking', 'perIp', byAddress);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const surface = surfaceOf(req.url);
    if (!surface) return;
    for (const c of checkers[surface]) {
      if (c.key(req) === undefined) continue;
      const r = await c.check(req);
      if (!r.isExceeded) continue;
      const retryAfter = Math.max(1, r.ttlInSeconds ?? 1);
      return reply
        .status(429)
        .header('retry-after', String(retryAfter))
        .send(
          errorBody(
            'rate_limited',
            `too many requests from ${WHO[c.name]}: at most ${c.limit.max} ${per(c.limit.windowMs)}; retry after ${retryAfter} s`,
            {
              limit: c.name,
              max: c.limit.max,
              window_seconds: c.limit.windowMs / 1000,
              retry_after_seconds: retryAfter,
            },
          ),
        );
    }
  });
}
