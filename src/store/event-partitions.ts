// Monthly partitions of `events` on PostgreSQL (decision 0021): listing them, creating the months ahead of
// time, and which upcoming months are missing (for `baton doctor`). A month without its partition is not an
// error: its events land in `events_default`, and creating the partition later moves them out. SQLite has no
// partitions; every function here is a no-op there.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './db.js';
import type { Database } from './schema.js';

/** Months kept ready after the current one. */
export const MONTHS_AHEAD = 3;

export interface EventPartition {
  name: string;
  /** occurred_at ≥ from (epoch ms, first instant of the month, UTC). */
  from: number;
  /** occurred_at < to. */
  to: number;
}

export function monthStart(t: number, addMonths = 0): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + addMonths, 1);
}

export function partitionName(from: number): string {
  const d = new Date(from);
  return `events_p${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month partitions (not the default one), oldest first; empty on SQLite. */
export async function eventPartitions(db: Kysely<Database>): Promise<EventPartition[]> {
  if (!isPostgres(db)) return [];
  const rows = await sql<{ name: string; bound: string }>`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass`.execute(db);
  const out: EventPartition[] = [];
  for (const r of rows.rows) {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    if (m) out.push({ name: r.name, from: Number(m[1]), to: Number(m[2]) });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** First instants of the months from `now`'s to `monthsAhead` after it that have no partition yet. */
export async function missingEventPartitions(
  db: Kysely<Database>,
  now: number,
  monthsAhead = MONTHS_AHEAD,
): Promise<number[]> {
  if (!isPostgres(db)) return [];
  const have = await eventPartitions(db);
  const missing: number[] = [];
  for (let i = 0; i <= monthsAhead; i++) {
    const from = monthStart(now, i);
    if (!have.some((p) => p.from <= from && from < p.to)) missing.push(from);
  }
  return missing;
}

/**
 * Gives the month starting at `from` its partition, moving the month's events out of the default partition.
 * Concurrent callers (several workers) take turns on an advisory lock; a month created meanwhile is left alone.
 * Returns whether this call created it.
 */
export async function createEventPartition(db: Kysely<Database>, from: number): Promise<boolean> {
  if (!isPostgres(db)) return false;
  const to = monthStart(from, 1);
  const name = partitionName(from);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('baton.events.partitions'))`.execute(trx);
    if ((await eventPartitions(trx)).some((p) => p.from < to && from < p.to)) return false;
    // Taken first, so an insert routed to the default partition waits here rather than deadlocking with the
    // attach below. The moved events keep their message-id claims (see the migration's delete trigger).
    // A long reader of the default partition makes this call fail (lock_not_available) rather than queue every
    // insert behind it.
    await sql`SET LOCAL lock_timeout = '5s'`.execute(trx);
    await sql`LOCK TABLE events_default IN ACCESS EXCLUSIVE MODE`.execute(trx);
    await sql`SELECT set_config('baton.keep_message_ids', 'on', true)`.execute(trx);
    await sql`CREATE TABLE ${sql.id(name)} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`.execute(
      trx,
    );
    await sql`WITH moved AS (
        DELETE FROM events_default WHERE occurred_at >= ${from} AND occurred_at < ${to} RETURNING *
      ) INSERT INTO ${sql.id(name)} SELECT * FROM moved`.execute(trx);
    await sql`ALTER TABLE events ATTACH PARTITION ${sql.id(name)}
      FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(trx);
    return true;
  });
}

/** Creates the partitions of `now`'s month and the `monthsAhead` after it that are missing; returns their names. */
export async function ensureEventPartitions(
  db: Kysely<Database>,
  now: number,
  monthsAhead = MONTHS_AHEAD,
): Promise<string[]> {
  const created: string[] = [];
  for (const from of await missingEventPartitions(db, now, monthsAhead)) {
    if (await createEventPartition(db, from)) created.push(partitionName(from));
  }
  return created;
}
