// Monthly partitions of `events` on PostgreSQL (decision 0021), in a database of this file's own: the shared
// test database's partitions are created and moved by every test file's workers, and a dropped month would
// take other files' events with it. The migration converts a filled table; events land in their month's
// partition or the default one; a producer message id is stored once per workspace across all months, on the
// per-call and the set-based ingestion paths; erasure moves the id's claim; retention drops a month whose
// events have all expired and leaves the months still kept.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEvents } from '../src/engine/event-processor.js';
import { PartitionJob } from '../src/engine/partition-job.js';
import { openStore, type Store } from '../src/store/db.js';
import {
  createEventPartition,
  ensureEventPartitions,
  eventPartitions,
  missingEventPartitions,
} from '../src/store/event-partitions.js';
import { appendEvents, type NewEvent } from '../src/store/events.repository.js';
import { ingestMessages, parseMessage, type TrackingMessage } from '../src/store/ingest.js';
import { migrateUpTo } from '../src/store/migrate.js';
import { dropExpiredEventPartitions, pruneOldEvents } from '../src/store/privacy/retention.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';

const ADMIN_URL = process.env.BATON_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY = 86_400_000;

async function admin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

function event(ws: string, at: string, messageId: string | null, type = 'page'): NewEvent {
  return { workspaceId: ws, type, occurredAt: Date.parse(at), receivedAt: Date.parse(at), messageId };
}

describe('events partitioned by month (postgres)', () => {
  const name = `baton_parts_${process.pid}_${randomBytes(4).toString('hex')}`;
  let store: Store;
  let before: string;

  const partitionOf = async (ws: string) =>
    (
      await sql<{ p: string; message_id: string | null; seq: number }>`
        SELECT tableoid::regclass::text AS p, message_id, seq FROM events WHERE workspace_id = ${ws} ORDER BY seq`.execute(
        store.db,
      )
    ).rows;
  const claims = async (ws: string) =>
    (
      await store.db
        .selectFrom('event_message_ids')
        .select('message_id')
        .where('workspace_id', '=', ws)
        .orderBy('message_id')
        .execute()
    ).map((r) => r.message_id);

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    store = openStore(ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), { poolSize: 4 });
    // The store as the release before partitioning left it, holding events of two months.
    await migrateUpTo(store, '20261129T0900-contact-reach');
    const repo = new WorkspacesRepository(store);
    before = (await repo.ensure('before', Date.parse('2025-01-01'))).id;
    await appendEvents(store.db, [
      event(before, '2025-01-10T00:00:00Z', 'jan-1'),
      event(before, '2025-01-31T23:59:59.999Z', 'jan-2'),
      event(before, '2025-03-01T00:00:00Z', 'mar-1'),
      event(before, '2025-03-02T00:00:00Z', null),
    ]);
    await migrateUpTo(store);
  });
  afterAll(async () => {
    await store?.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('moves the events of an existing table into their months, keeping seq and the message ids', async () => {
    expect(await partitionOf(before)).toEqual([
      { p: 'events_p2025_01', message_id: 'jan-1', seq: 1 },
      { p: 'events_p2025_01', message_id: 'jan-2', seq: 2 },
      { p: 'events_p2025_03', message_id: 'mar-1', seq: 3 },
      { p: 'events_p2025_03', message_id: null, seq: 4 },
    ]);
    // February held no event: no partition for it.
    const names = (await eventPartitions(store.db)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['events_p2025_01', 'events_p2025_03']));
    expect(names).not.toContain('events_p2025_02');
    const kind = await sql<{
      relkind: string;
    }>`SELECT relkind FROM pg_class WHERE relname = 'events'`.execute(store.db);
    expect(kind.rows[0]?.relkind).toBe('p');
    expect(await claims(before)).toEqual(['jan-1', 'jan-2', 'mar-1']);
    // The sequence went with the table: new events come after the old ones, and old ids are still taken.
    expect(await appendEvents(store.db, [event(before, '2025-03-05T00:00:00Z', 'jan-1')])).toBe(0);
    expect(await appendEvents(store.db, [event(before, '2025-03-05T00:00:00Z', 'mar-2')])).toBe(1);
    const rows = await partitionOf(before);
    expect(rows.at(-1)).toMatchObject({ message_id: 'mar-2', p: 'events_p2025_03' });
    expect(rows.at(-1)!.seq).toBeGreaterThan(4);
  });

  it('routes events to their month, the default partition without one, and moves them when it comes', async () => {
    const ws = (await new WorkspacesRepository(store).ensure('routing', Date.parse('2025-01-01'))).id;
    await createEventPartition(store.db, Date.parse('2024-06-01'));
    await createEventPartition(store.db, Date.parse('2024-07-01'));
    expect(
      await appendEvents(store.db, [
        event(ws, '2024-06-30T23:59:59.999Z', 'jun'),
        event(ws, '2024-07-01T00:00:00Z', 'jul'),
        event(ws, '2035-05-20T00:00:00Z', 'future'),
        event(ws, '2035-05-21T00:00:00Z', null),
      ]),
    ).toBe(4);
    expect((await partitionOf(ws)).map((r) => [r.message_id, r.p])).toEqual([
      ['jun', 'events_p2024_06'],
      ['jul', 'events_p2024_07'],
      ['future', 'events_default'],
      [null, 'events_default'],
    ]);
    // The months ahead of a (simulated) May 2035: the four are created and May's events leave the default.
    expect(await missingEventPartitions(store.db, Date.parse('2035-05-10T00:00:00Z'))).toHaveLength(4);
    expect(await ensureEventPartitions(store.db, Date.parse('2035-05-10T00:00:00Z'))).toEqual([
      'events_p2035_05',
      'events_p2035_06',
      'events_p2035_07',
      'events_p2035_08',
    ]);
    expect(await ensureEventPartitions(store.db, Date.parse('2035-05-10T00:00:00Z'))).toEqual([]);
    expect((await partitionOf(ws)).map((r) => r.p).slice(2)).toEqual(['events_p2035_05', 'events_p2035_05']);
    // Moving kept the claim: the id is still refused.
    expect(await claims(ws)).toEqual(['future', 'jul', 'jun']);
    expect(await appendEvents(store.db, [event(ws, '2035-06-01T00:00:00Z', 'future')])).toBe(0);
  });

  it('stores a message id once per workspace, whatever month the repeat claims', async () => {
    const repo = new WorkspacesRepository(store);
    const ws = (await repo.ensure('dedupe', Date.parse('2025-01-01'))).id;
    const other = (await repo.ensure('dedupe-other', Date.parse('2025-01-01'))).id;
    expect(
      await appendEvents(store.db, [
        event(ws, '2025-01-15T00:00:00Z', 'm-1'),
        event(ws, '2025-03-15T00:00:00Z', 'm-1'), // same id, another month, same statement
        event(ws, '2030-01-01T00:00:00Z', 'm-1'), // and in the default partition
        event(other, '2025-03-15T00:00:00Z', 'm-1'), // another workspace has its own ids
      ]),
    ).toBe(2);
    expect(await appendEvents(store.db, [event(ws, '2025-03-20T00:00:00Z', 'm-1')])).toBe(0);
    expect((await partitionOf(ws)).map((r) => r.p)).toEqual(['events_p2025_01']);
    expect(await partitionOf(other)).toHaveLength(1);
    // A plain insert (as the dispatcher writes touch events) is held to the same rule.
    const r = await store.db
      .insertInto('events')
      .values({
        id: 'evt_plain',
        workspace_id: ws,
        message_id: 'm-1',
        type: 'sent',
        occurred_at: Date.parse('2025-03-01'),
        received_at: 0,
        properties: '{}',
      })
      .executeTakeFirst();
    expect(Number(r.numInsertedOrUpdatedRows)).toBe(0);
  });

  it('stores a set-based ingestion run once, across months, and nothing on retry', async () => {
    const ws = (await new WorkspacesRepository(store).ensure('batch', Date.parse('2025-01-01'))).id;
    const receivedAt = Date.parse('2025-03-31T12:00:00Z');
    const raw = Array.from({ length: 600 }, (_, i) => ({
      type: 'track',
      event: 'Viewed',
      userId: `u${i % 40}`,
      // Every 10th message repeats the id of the one before it, with a timestamp in the other month.
      messageId: `b-${i % 10 === 9 ? i - 1 : i}`,
      timestamp: new Date(
        i % 2 === 0 ? Date.parse('2025-01-20T00:00:00Z') + i : receivedAt - i,
      ).toISOString(),
    }));
    const messages: TrackingMessage[] = raw.map((m) => {
      const p = parseMessage(m, undefined, receivedAt, undefined);
      if (!p.ok) throw new Error(p.error);
      return p.message;
    });
    expect(await ingestMessages(store, ws, messages, receivedAt)).toEqual({ stored: 540, duplicates: 60 });
    expect(await ingestMessages(store, ws, messages, receivedAt)).toEqual({ stored: 0, duplicates: 600 });
    const byPartition = await sql<{ p: string; n: number }>`
      SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM events WHERE workspace_id = ${ws}
      GROUP BY 1 ORDER BY 1`.execute(store.db);
    // 300 even messages in January; of the 300 odd ones in March, the 60 repeats are refused.
    expect(byPartition.rows).toEqual([
      { p: 'events_p2025_01', n: 300 },
      { p: 'events_p2025_03', n: 240 },
    ]);
    expect(await claims(ws)).toHaveLength(540);
  });

  it('moves the claim when erasure rewrites an id, and frees it when the event is deleted', async () => {
    const ws = (await new WorkspacesRepository(store).ensure('rekey', Date.parse('2025-01-01'))).id;
    await appendEvents(store.db, [event(ws, '2025-01-05T00:00:00Z', 'unsub:con_1')]);
    await store.db
      .updateTable('events')
      .set({ message_id: sql`replace(message_id, 'con_1', 'con_erased')` })
      .where('workspace_id', '=', ws)
      .execute();
    expect(await claims(ws)).toEqual(['unsub:con_erased']);
    await store.db.deleteFrom('events').where('workspace_id', '=', ws).execute();
    expect(await claims(ws)).toEqual([]);
    expect(await appendEvents(store.db, [event(ws, '2025-01-05T00:00:00Z', 'unsub:con_erased')])).toBe(1);
  });

  it('drops a month whose events have all expired and been processed, and keeps months still kept', async () => {
    const repo = new WorkspacesRepository(store);
    const brief = (await repo.ensure('retention-brief', Date.parse('2025-01-01'))).id;
    const forever = (await repo.ensure('retention-forever', Date.parse('2025-01-01'))).id;
    await repo.updateSettings(brief, { retention: { events_days: 30 } });
    await createEventPartition(store.db, Date.parse('2023-02-01'));
    await createEventPartition(store.db, Date.parse('2023-03-01'));
    await appendEvents(store.db, [
      event(brief, '2023-02-03T00:00:00Z', 'feb-a'),
      event(brief, '2023-02-27T00:00:00Z', 'feb-b'),
      event(brief, '2023-03-02T00:00:00Z', 'mar-a'),
      event(forever, '2023-03-03T00:00:00Z', 'mar-f'),
      event(brief, '2001-01-01T00:00:00Z', 'default-a'), // no month partition: the default one
    ]);
    const now = Date.parse('2023-06-01T00:00:00Z');
    const cutoffs = new Map([[brief, now - 30 * DAY]]);
    // Not read by the event processor yet: nothing goes.
    await sql`DELETE FROM event_cursors`.execute(store.db);
    expect(await dropExpiredEventPartitions(store, cutoffs)).toEqual([]);
    await processEvents(store, now);
    // Every workspace with events in the months before the cut-off is checked: the other test workspaces
    // keep their events for ever, and only February 2023 holds nothing of theirs.
    expect(await dropExpiredEventPartitions(store, cutoffs)).toEqual(['events_p2023_02']);
    const names = (await eventPartitions(store.db)).map((p) => p.name);
    expect(names).not.toContain('events_p2023_02');
    expect(names).toContain('events_p2023_03');
    const left = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'events_p2023_02'`.execute(store.db);
    expect(left.rows[0]?.n).toBe(0);
    expect((await partitionOf(brief)).map((r) => r.message_id)).toEqual(['mar-a', 'default-a']);
    // Dropped events freed their ids, as deleted ones do.
    expect(await claims(brief)).toEqual(['default-a', 'mar-a']);
    // The rest of the expired events go row by row, as on SQLite.
    expect(await pruneOldEvents(store, brief, 30, now)).toBe(2);
    expect(await partitionOf(forever)).toHaveLength(1);
  });

  it("runs from the worker's partition pass once an hour of its clock", async () => {
    const job = new PartitionJob(store as Store);
    const now = Date.parse('2040-01-15T00:00:00Z');
    const workspaces = await new WorkspacesRepository(store).list();
    expect((await job.run(workspaces, now)).created).toEqual([
      'events_p2040_01',
      'events_p2040_02',
      'events_p2040_03',
      'events_p2040_04',
    ]);
    // Within the hour it does nothing, even when a month is missing.
    await sql`DROP TABLE events_p2040_04`.execute(store.db);
    expect((await job.run(workspaces, now + 59 * 60_000)).created).toEqual([]);
    expect((await job.run(workspaces, now + 60 * 60_000)).created).toEqual(['events_p2040_04']);
  });
});
