// A @fastify/rate-limit store whose counters live in the database, so every `baton serve` process on one
// PostgreSQL database counts against the same limit (decision 0023). One UPSERT per counted request: the
// key's row starts a window at its first request (as the in-memory `clockStore` does) and counts in it; the
// row lock of ON CONFLICT DO UPDATE makes concurrent processes count exactly. Time is the limiter's clock,
// so tests step through windows on a simulated one.
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../engine/clock.js';
import type { Database } from '../store/schema.js';

type Incr = (err: Error | null, res: { current: number; ttl: number }) => void;

export interface DatabaseStoreOptions {
  /** How often (limiter-clock ms) one process deletes ended windows; default a minute. */
  sweepEveryMs?: number;
}

/** Counts one request of `key` in a fixed window of `windowMs`; returns the count and the window's end. */
export async function countHit(
  db: Kysely<Database>,
  key: string,
  windowMs: number,
  now: number,
): Promise<{ current: number; expiresAt: number }> {
  const ended = sql`rate_limit_hits.expires_at <= ${now}`;
  const r = await sql<{ hits: number | string; expires_at: number | string }>`
    insert into rate_limit_hits (key, window_start, hits, expires_at)
    values (${key}, ${now}, 1, ${now + windowMs})
    on conflict (key) do update set
      hits = case when ${ended} then 1 else rate_limit_hits.hits + 1 end,
      window_start = case when ${ended} then ${now} else rate_limit_hits.window_start end,
      expires_at = case when ${ended} then ${now + windowMs} else rate_limit_hits.expires_at end
    returning hits, expires_at`.execute(db);
  const row = r.rows[0]!;
  return { current: Number(row.hits), expiresAt: Number(row.expires_at) };
}

/** Deletes the counters whose window has ended (they count as new windows anyway). */
export async function sweepHits(db: Kysely<Database>, now: number): Promise<number> {
  const r = await db.deleteFrom('rate_limit_hits').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The store class for @fastify/rate-limit's `store` option. Keys must already name their limit
 * (`registerRateLimits` prefixes them), so `child` shares the one table.
 */
export function databaseStore(db: Kysely<Database>, clock: Clock, options: DatabaseStoreOptions = {}) {
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  let nextSweep = clock.now() + sweepEveryMs;
  return class DatabaseStore {
    incr(key: string, cb: Incr, timeWindow: number): void {
      const now = clock.now();
      countHit(db, key, timeWindow, now).then(
        (r) => cb(null, { current: r.current, ttl: r.expiresAt - now }),
        (e: unknown) => cb(e instanceof Error ? e : new Error(String(e)), { current: 0, ttl: 0 }),
      );
      if (now >= nextSweep) {
        nextSweep = now + sweepEveryMs;
        // Off the request's path; a failed sweep is retried at the next one.
        sweepHits(db, now).catch(() => undefined);
      }
    }

    read(key: string, cb: Incr): void {
      const now = clock.now();
      db.selectFrom('rate_limit_hits')
        .select(['hits', 'expires_at'])
        .where('key', '=', key)
        .executeTakeFirst()
        .then(
          (row) =>
            !row || Number(row.expires_at) <= now
              ? cb(null, { current: 0, ttl: 0 })
              : cb(null, { current: Number(row.hits), ttl: Number(row.expires_at) - now }),
          (e: unknown) => cb(e instanceof Error ? e : new Error(String(e)), { current: 0, ttl: 0 }),
        );
    }

    child(): DatabaseStore {
      return this;
    }
  };
}
