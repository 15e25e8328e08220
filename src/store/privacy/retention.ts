// Event retention: a workspace's `retention.events_days` bounds how long behaviour (opens, clicks, page
// views, custom events) is kept. Older events are deleted a bounded batch at a time, and only once the event
// processor has read them, so a late-arriving backfill still turns into conversions before it goes.
// Conversions, touches and enrollments stay: campaign goal totals are read from them.
import type { Store } from '../db.js';

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
