// The journey pass, run after the event processor in every worker tick: sweeps the subjects whose time
// windows elapsed by now (decision 0022), then re-evaluates the buyer-journey stage of the contacts (and
// accounts with criteria of their own) whose events or attributes changed since the last pass. Each workspace with a journey
// map has cursors in event_cursors: one over events by seq (like the processor's), one over
// contacts.updated_at and, when accounts have their own criteria, one over accounts.updated_at. Re-reading
// is harmless (these moves only go forward, so a second look records nothing), which is what lets
// PostgreSQL re-read a margin behind each cursor.
import type { Kysely } from 'kysely';
import type { CheckedJourney } from '../domain/journey.js';
import type { Store } from '../store/db.js';
import { enabledJourneys } from '../store/journey/journey-map.repository.js';
import { evaluateAccounts } from '../store/journey/account-stages.js';
import {
  accountCriteriaEventTypes,
  criteriaEventTypes,
  type CauseEvent,
} from '../store/journey/stage-common.js';
import { evaluateStages } from '../store/journey/stage-evaluator.js';
import { sweepStageWindows } from '../store/journey/stage-sweep.js';
import type { Database } from '../store/schema.js';

const eventsCursor = (ws: string): string => `journey-events:${ws}`;
const contactsCursor = (ws: string): string => `journey-contacts:${ws}`;
const accountsCursor = (ws: string): string => `journey-accounts:${ws}`;
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
  /** Subjects the sweep re-evaluated because a time window in their criteria elapsed. */
  rechecked: number;
}

export async function advanceJourneys(store: Store, now: number): Promise<JourneyPassCounts> {
  const counts: JourneyPassCounts = { events: 0, contacts: 0, changes: 0, rechecked: 0 };
  const journeys = await enabledJourneys(store);
  if (journeys.size === 0) return counts;
  const top = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  const maxSeq = Number(top?.seq ?? 0);
  for (const [ws, journey] of journeys) {
    // The sweep first: a change that time alone made is recorded as such, before the event and attribute
    // passes (which re-read a margin behind their cursors) would evaluate the subject at `now` too.
    const s = await sweepStageWindows(store, ws, journey, now);
    const e = await eventChanges(store, ws, journey, maxSeq, now);
    const a = await attributeChanges(store, ws, journey, 'contacts', now);
    const o =
      journey.map.account_stage === 'contacts'
        ? { contacts: 0, changes: 0 }
        : await attributeChanges(store, ws, journey, 'accounts', now);
    counts.events += e.events;
    counts.contacts += e.contacts + a.contacts;
    counts.changes += e.changes + a.changes + o.changes + s.changes;
    counts.rechecked += s.contacts + s.accounts;
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
  const forAccounts = accountCriteriaEventTypes(journey);
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
      .select(['seq', 'id', 'contact_id', 'account_id', 'type', 'occurred_at'])
      .where('seq', '>', from)
      .where('seq', '<=', maxSeq)
      .where('workspace_id', '=', ws);
    // Account criteria also read events that carry only an account (deals imported from a CRM).
    if (forAccounts.size === 0) q = q.where('contact_id', 'is not', null);
    if (wanted !== 'any') {
      const types = [...wanted, ...forAccounts];
      q = q.where('type', 'in', types.length > 0 ? types : ['']);
    }
    const rows = await q.orderBy('seq').limit(BATCH).execute();
    const contacts = new Map<string, CauseEvent[]>();
    const accounts = new Map<string, CauseEvent[]>();
    const push = (m: Map<string, CauseEvent[]>, key: string, e: (typeof rows)[number]): void => {
      const list = m.get(key) ?? [];
      list.push({ id: e.id, type: e.type, at: Number(e.occurred_at) });
      m.set(key, list);
    };
    const accountOf = await contactAccounts(
      db,
      ws,
      rows.filter((e) => forAccounts.has(e.type) && !e.account_id && e.contact_id).map((e) => e.contact_id!),
    );
    for (const e of rows) {
      if (e.contact_id && (wanted === 'any' || wanted.has(e.type))) push(contacts, e.contact_id, e);
      const account = e.account_id ?? (e.contact_id ? accountOf.get(e.contact_id) : undefined);
      if (account && forAccounts.has(e.type)) push(accounts, account, e);
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
    if (accounts.size > 0) {
      for (const list of accounts.values()) list.sort((a, b) => a.at - b.at);
      out.changes += await evaluateAccounts(store, ws, journey, [...accounts.keys()], {
        now,
        mode: 'forward',
        cause: 'contact',
        events: accounts,
      });
    }
    out.events += rows.filter((r) => Number(r.seq) > cursor).length;
    const full = rows.length === BATCH;
    await writeCursor(db, name, full ? Number(rows[rows.length - 1]!.seq) : maxSeq, now);
    if (!full) break;
  }
  return out;
}

/** The current account of each contact in `ids`. */
async function contactAccounts(
  db: Kysely<Database>,
  ws: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await db
      .selectFrom('contacts')
      .select(['id', 'account_id'])
      .where('workspace_id', '=', ws)
      .where('id', 'in', unique.slice(i, i + 1000))
      .where('account_id', 'is not', null)
      .execute();
    for (const r of rows) out.set(r.id, r.account_id!);
  }
  return out;
}

/**
 * Contacts (or accounts) of one workspace updated since its cursor (created, edited, imported,
 * identified); accounts are read only when they have criteria of their own.
 */
async function attributeChanges(
  store: Store,
  ws: string,
  journey: CheckedJourney,
  table: 'contacts' | 'accounts',
  now: number,
): Promise<{ contacts: number; changes: number }> {
  const db = store.db;
  const cursor = table === 'contacts' ? contactsCursor(ws) : accountsCursor(ws);
  let since = await readCursor(db, cursor, -1);
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
      .selectFrom(table)
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
    if (table === 'contacts') {
      const r = await evaluateStages(
        store,
        ws,
        journey,
        rows.map((c) => c.id),
        { now, cause: 'attributes' },
      );
      contacts += r.evaluated;
      changes += r.contactChanges + r.accountChanges;
    } else {
      changes += await evaluateAccounts(
        store,
        ws,
        journey,
        rows.map((c) => c.id),
        { now, mode: 'forward', cause: 'contact' },
      );
    }
    const last = rows[rows.length - 1]!;
    high = Math.max(high, Number(last.updated_at));
    if (rows.length < BATCH) break;
    after = { at: Number(last.updated_at), id: last.id };
  }
  if (high !== since || contacts > 0) await writeCursor(db, cursor, high, now);
  return { contacts, changes };
}

/** The earliest `stage_recheck_at` of a workspace: when the sweep next has work (null: never). */
export async function nextStageRecheckAt(store: Store, ws: string): Promise<number | null> {
  const row = await store.db
    .selectFrom('journey_stages')
    .select((eb) => eb.fn.min('stage_recheck_at').as('t'))
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
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
