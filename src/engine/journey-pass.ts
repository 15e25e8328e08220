// The journey pass, run after the event processor in every worker tick: re-evaluates the buyer-journey
// stage of the contacts whose events or attributes changed since the last pass. Each workspace with a
// journey map has two cursors in event_cursors: one over events by seq (like the processor's) and one over
// contacts.updated_at for attribute changes. Re-reading is harmless (stages only move forward, so a second look
// records nothing), which is what lets PostgreSQL re-read a margin behind each cursor.
import type { Kysely } from 'kysely';
import type { CheckedJourney } from '../domain/journey.js';
import type { Store } from '../store/db.js';
import { enabledJourneys } from '../store/journey/journey-map.repository.js';
import { criteriaEventTypes, evaluateStages, type CauseEvent } from '../store/journey/stage-evaluator.js';
import type { Database } from '../store/schema.js';

const eventsCursor = (ws: string): string => `journey-events:${ws}`;
const contactsCursor = (ws: string): string => `journey-contacts:${ws}`;
const BATCH = 5000;
const MAX_PER_CALL = 50_000;
/** As the event processor's SEQ_OVERLAP: seqs become visible out of order on PostgreSQL. */
const SEQ_OVERLAP = 1000;
/** Contacts updated this long before the cursor are looked at again (transactions commit late). */
const UPDATED_OVERLAP_MS = 60_000;

export interface JourneyPassCounts {
  events: number;
  contacts: number;
  changes: number;
}

export async function advanceJourneys(store: Store, now: number): Promise<JourneyPassCounts> {
  const counts: JourneyPassCounts = { events: 0, contacts: 0, changes: 0 };
  const journeys = await enabledJourneys(store);
  if (journeys.size === 0) return counts;
  const top = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  const maxSeq = Number(top?.seq ?? 0);
  for (const [ws, journey] of journeys) {
    const e = await eventChanges(store, ws, journey, maxSeq, now);
    const a = await attributeChanges(store, ws, journey, now);
    counts.events += e.events;
    counts.contacts += e.contacts + a.contacts;
    counts.changes += e.changes + a.changes;
  }
  return counts;
}

/**
 * Contacts of one workspace with new events since its cursor (by seq, up to `maxSeq`, read before the
 * scan so a workspace with no new events still moves its cursor to the end of the table).
 */
async function eventChanges(
  store: Store,
  ws: string,
  journey: CheckedJourney,
  maxSeq: number,
  now: number,
): Promise<{ events: number; contacts: number; changes: number }> {
  const db = store.db;
  const name = eventsCursor(ws);
  const wanted = criteriaEventTypes(journey);
  const out = { events: 0, contacts: 0, changes: 0 };
  let first = true;
  while (out.events < MAX_PER_CALL) {
    const cursor = await readCursor(db, name);
    // The first page of a pass on PostgreSQL re-reads a margin behind the cursor.
    const from = store.dialect === 'postgres' && first ? Math.max(0, cursor - SEQ_OVERLAP) : cursor;
    first = false;
    if (from >= maxSeq) break;
    let q = db
      .selectFrom('events')
      .select(['seq', 'id', 'contact_id', 'type', 'occurred_at'])
      .where('seq', '>', from)
      .where('seq', '<=', maxSeq)
      .where('workspace_id', '=', ws)
      .where('contact_id', 'is not', null);
    if (wanted !== 'any') q = q.where('type', 'in', wanted.size > 0 ? [...wanted] : ['']);
    const rows = await q.orderBy('seq').limit(BATCH).execute();
    const contacts = new Map<string, CauseEvent[]>();
    for (const e of rows) {
      const list = contacts.get(e.contact_id!) ?? [];
      list.push({ id: e.id, type: e.type, at: Number(e.occurred_at) });
      contacts.set(e.contact_id!, list);
    }
    if (contacts.size > 0) {
      for (const list of contacts.values()) list.sort((a, b) => a.at - b.at);
      const r = await evaluateStages(store, ws, journey, [...contacts.keys()], {
        now,
        cause: 'event',
        events: contacts,
      });
      out.contacts += r.evaluated;
      out.changes += r.contactChanges + r.accountChanges;
    }
    out.events += rows.filter((r) => Number(r.seq) > cursor).length;
    const full = rows.length === BATCH;
    await writeCursor(db, name, full ? Number(rows[rows.length - 1]!.seq) : maxSeq, now);
    if (!full) break;
  }
  return out;
}

/** Contacts of one workspace updated since its cursor (created, edited, imported, identified). */
async function attributeChanges(
  store: Store,
  ws: string,
  journey: CheckedJourney,
  now: number,
): Promise<{ contacts: number; changes: number }> {
  const db = store.db;
  let since = await readCursor(db, contactsCursor(ws), -1);
  if (since < 0) {
    // The map's first save evaluated every contact; start from then.
    const map = await db
      .selectFrom('journey_maps')
      .select('updated_at')
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    since = Number(map?.updated_at ?? 0);
  }
  let contacts = 0;
  let changes = 0;
  let high = since;
  // Keyset pages over (updated_at, id): a bulk import stamps thousands of contacts with one instant.
  let after: { at: number; id: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('contacts')
      .select(['id', 'updated_at'])
      .where('workspace_id', '=', ws)
      .where('updated_at', '>=', since - UPDATED_OVERLAP_MS);
    if (after) {
      const { at, id } = after;
      q = q.where((eb) =>
        eb.or([eb('updated_at', '>', at), eb.and([eb('updated_at', '=', at), eb('id', '>', id)])]),
      );
    }
    const rows = await q.orderBy('updated_at').orderBy('id').limit(BATCH).execute();
    if (rows.length === 0) break;
    const r = await evaluateStages(
      store,
      ws,
      journey,
      rows.map((c) => c.id),
      { now, cause: 'attributes' },
    );
    contacts += r.evaluated;
    changes += r.contactChanges + r.accountChanges;
    const last = rows[rows.length - 1]!;
    high = Math.max(high, Number(last.updated_at));
    if (rows.length < BATCH) break;
    after = { at: Number(last.updated_at), id: last.id };
  }
  if (high !== since || contacts > 0) await writeCursor(db, contactsCursor(ws), high, now);
  return { contacts, changes };
}

async function readCursor(db: Kysely<Database>, name: string, missing = 0): Promise<number> {
  const row = await db.selectFrom('event_cursors').select('seq').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.seq) : missing;
}

async function writeCursor(db: Kysely<Database>, name: string, to: number, now: number): Promise<void> {
  // Only forward: another worker may have moved it further meanwhile.
  await db
    .insertInto('event_cursors')
    .values({ name, seq: to, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ seq: to, updated_at: now }).where('event_cursors.seq', '<', to),
    )
    .execute();
}
