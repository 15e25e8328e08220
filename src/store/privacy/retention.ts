// Event retention: a workspace's `retention.events_days` bounds how long behaviour (opens, clicks, page
// views, custom events) is kept. Older events are deleted a bounded batch at a time, and only once the event
// processor has read them, so a late-arriving backfill still turns into conversions before it goes.
// Conversions, touches and enrollments stay: campaign goal totals are read from them.
// On PostgreSQL a month partition of `events` whose every event has expired goes whole (a DROP instead of
// row-by-row deletes, decision 0021); the default partition and the months still partly kept go row by row.
import { sql } from 'kysely';
import { isPostgres, type Store } from '../db.js';
import { eventPartitions, type EventPartition } from '../event-partitions.js';

const DAY = 86_400_000;
/** The event processor's cursor (src/engine/event-processor.ts). */
const PROCESSOR_CURSOR = 'event-processor';

/** Deletes up to `limit` events of the workspace that occurred more than `days` days before `now`. */
export async function pruneOldEvents(
  store: Pick<Store, 'db'>,
  workspaceId: string,
  days: number,
  now: number,
  limit = 1000,
): Promise<number> {
  const cursor = await store.db
    .selectFrom('event_cursors')
    .select('seq')
    .where('name', '=', PROCESSOR_CURSOR)
    .executeTakeFirst();
  if (!cursor) return 0;
  const seqs = await store.db
    .selectFrom('events')
    .select('seq')
    .where('workspace_id', '=', workspaceId)
    .where('occurred_at', '<', now - days * DAY)
    .where('seq', '<=', Number(cursor.seq))
    .orderBy('seq')
    .limit(limit)
    .execute();
  if (seqs.length === 0) return 0;
  const r = await store.db
    .deleteFrom('events')
    .where('workspace_id', '=', workspaceId)
    .where(
      'seq',
      'in',
      seqs.map((s) => Number(s.seq)),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * PostgreSQL: drops the month partitions of `events` that hold only expired, processed events: every
 * workspace with events in the month has a cut-off (`cutoffs`: workspace id → epoch ms, absent for a workspace
 * that keeps events for ever) at or after the month's end, and the event processor has read all of them. The
 * message ids of the dropped events are freed, as deleting them would. Returns the partitions dropped.
 */
export async function dropExpiredEventPartitions(
  store: Pick<Store, 'db'>,
  cutoffs: ReadonlyMap<string, number>,
): Promise<string[]> {
  const db = store.db;
  if (!isPostgres(db)) return [];
  const cursor = await db
    .selectFrom('event_cursors')
    .select('seq')
    .where('name', '=', PROCESSOR_CURSOR)
    .executeTakeFirst();
  if (!cursor) return [];
  const latest = Math.max(0, ...cutoffs.values());
  const workspaces = (await db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
  const dropped: string[] = [];
  for (const p of await eventPartitions(db)) {
    if (p.to > latest) break;
    if (!(await expired(store, p, workspaces, cutoffs, Number(cursor.seq)))) continue;
    // Detached under a short exclusive lock on `events` (catalog work and the re-check's index probes only):
    // the month's late arrivals go to the default partition from then on.
    const detached = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('baton.events.partitions'))`.execute(trx);
      await sql`SET LOCAL lock_timeout = '5s'`.execute(trx);
      await sql`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`.execute(trx);
      if (!(await expired({ db: trx }, p, workspaces, cutoffs, Number(cursor.seq)))) return false;
      await sql`ALTER TABLE events DETACH PARTITION ${sql.id(p.name)}`.execute(trx);
      return true;
    });
    if (detached) dropped.push(p.name);
  }
  await dropDetachedPartitions(store);
  return dropped;
}

/**
 * Frees the message ids of the month tables detached above and drops them. A table left behind by a process
 * that stopped in between is finished by the next pass: nothing else makes a month table that is not attached.
 */
async function dropDetachedPartitions(store: Pick<Store, 'db'>): Promise<void> {
  const left = await sql<{ name: string }>`
    SELECT relname AS name FROM pg_class
    WHERE relname ~ '^events_p[0-9]{4}_[0-9]{2}$' AND relkind = 'r' AND NOT relispartition
      AND relnamespace = current_schema()::regnamespace`.execute(store.db);
  for (const { name } of left.rows) {
    await store.db.transaction().execute(async (trx) => {
      const table = sql.id(name);
      await sql`DELETE FROM event_message_ids d USING ${table} e
        WHERE e.message_id IS NOT NULL AND d.workspace_id = e.workspace_id AND d.message_id = e.message_id`.execute(
        trx,
      );
      await sql`DROP TABLE ${table}`.execute(trx);
    });
  }
}

/** Whether the partition holds events, all of them processed and past their workspace's cut-off. */
async function expired(
  store: Pick<Store, 'db'>,
  p: EventPartition,
  workspaces: readonly string[],
  cutoffs: ReadonlyMap<string, number>,
  processed: number,
): Promise<boolean> {
  const table = sql.id(p.name);
  // The newest seq is the first entry of the partition's primary key, read backwards.
  const newest = await sql<{ seq: number | null }>`SELECT max(seq) AS seq FROM ${table}`.execute(store.db);
  const seq = newest.rows[0]?.seq;
  if (seq === null || seq === undefined || Number(seq) > processed) return false;
  // One index probe per workspace whose events of this month are (partly) still kept.
  for (const ws of workspaces) {
    if ((cutoffs.get(ws) ?? -Infinity) >= p.to) continue;
    const kept = await sql`SELECT 1 FROM ${table} WHERE workspace_id = ${ws} LIMIT 1`.execute(store.db);
    if (kept.rows.length > 0) return false;
  }
  return true;
}
