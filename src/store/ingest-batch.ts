// Set-based ingestion of track/page/screen messages (the Kysely path, PostgreSQL above all): one query finds
// the message ids already stored, two find the known user and anonymous ids, and the events go in as multi-row
// INSERT … ON CONFLICT DO NOTHING. Only messages whose ids are new or need a merge resolve one by one, after the
// events before them are written, so a merge re-points those events as it does on the per-message path.
import type { Store } from './db.js';
import { newId } from './ids.js';
import { appendEvents, storedMessageIds, type NewEvent } from './events.repository.js';
import { resolveContact, type IdentityKind } from './identity.js';
import type { TrackingMessage } from './ingest.js';

const CHUNK = 500;

async function knownIdentities(
  store: Store,
  workspaceId: string,
  kind: IdentityKind,
  values: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < values.length; i += CHUNK) {
    const rows = await store.db
      .selectFrom('contact_identities')
      .select(['value', 'contact_id'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', kind)
      .where('value', 'in', values.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) out.set(r.value, r.contact_id);
  }
  return out;
}

/**
 * Profiles for ids never seen, made in three statements instead of a few per id: imported contacts whose
 * external id is the user id take it; for the others the identities are claimed (ON CONFLICT DO NOTHING) and
 * a profile is inserted for each claim won. An id another request claimed meanwhile is left out (the caller
 * resolves it one by one), as `resolveContact` retries.
 */
async function createProfiles(
  store: Store,
  workspaceId: string,
  kind: IdentityKind,
  values: readonly string[],
  now: number,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const owner = new Map<string, string>();
    if (kind === 'user_id') {
      const imported = await store.db
        .selectFrom('contacts')
        .select(['id', 'external_id'])
        .where('workspace_id', '=', workspaceId)
        .where('external_id', 'in', chunk)
        .execute();
      for (const c of imported) if (c.external_id !== null) owner.set(c.external_id, c.id);
    }
    const fresh = new Set<string>();
    for (const v of chunk) {
      if (owner.has(v)) continue;
      owner.set(v, newId('con', now));
      fresh.add(v);
    }
    const claimed = await store.db
      .insertInto('contact_identities')
      .values(
        chunk.map((v) => ({
          workspace_id: workspaceId,
          kind,
          value: v,
          contact_id: owner.get(v)!,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
      .returning('value')
      .execute();
    const profiles = [];
    for (const { value } of claimed) {
      out.set(value, owner.get(value)!);
      if (!fresh.has(value)) continue;
      profiles.push({
        id: owner.get(value)!,
        workspace_id: workspaceId,
        external_id: kind === 'user_id' ? value : null,
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: now,
        updated_at: now,
      });
    }
    if (profiles.length > 0) await store.db.insertInto('contacts').values(profiles).execute();
  }
  return out;
}

/**
 * Stores a run of track/page/screen messages in order; returns how many events were new. `toEvent` builds
 * the stored event of a message for its contact.
 */
export async function ingestEventRun(
  store: Store,
  workspaceId: string,
  messages: readonly TrackingMessage[],
  receivedAt: number,
  toEvent: (m: TrackingMessage, contactId: string) => NewEvent,
): Promise<number> {
  const ids = [...new Set(messages.flatMap((m) => (m.messageId === null ? [] : [m.messageId])))];
  const seen = await storedMessageIds(store.db, workspaceId, ids);
  const fresh = messages.filter((m) => {
    if (m.messageId === null) return true;
    if (seen.has(m.messageId)) return false;
    seen.add(m.messageId); // a repeat later in the same call is a duplicate too
    return true;
  });
  const distinct = (pick: (m: TrackingMessage) => string | null): string[] => [
    ...new Set(fresh.flatMap((m) => (pick(m) ? [pick(m)!] : []))),
  ];
  const users = await knownIdentities(
    store,
    workspaceId,
    'user_id',
    distinct((m) => m.userId),
  );
  const anons = await knownIdentities(
    store,
    workspaceId,
    'anonymous_id',
    distinct((m) => m.anonymousId),
  );
  // Ids never seen that always come alone (a user id without an anonymous id, or the reverse) get their
  // profiles in bulk; a pair of ids resolves one by one, since which profile survives depends on order.
  const paired = new Set(fresh.flatMap((m) => (m.userId && m.anonymousId ? [m.userId, m.anonymousId] : [])));
  const newAlone = (ids: string[], known: Map<string, string>) =>
    ids.filter((v) => !known.has(v) && !paired.has(v));
  const newUsers = newAlone(
    distinct((m) => m.userId),
    users,
  );
  const newAnons = newAlone(
    distinct((m) => (m.userId ? null : m.anonymousId)),
    anons,
  );
  for (const [v, c] of await createProfiles(store, workspaceId, 'user_id', newUsers, receivedAt))
    users.set(v, c);
  for (const [v, c] of await createProfiles(store, workspaceId, 'anonymous_id', newAnons, receivedAt))
    anons.set(v, c);

  let stored = 0;
  let pending: NewEvent[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    stored += await appendEvents(store.db, pending);
    pending = [];
  };
  for (const m of fresh) {
    const byUser = m.userId ? users.get(m.userId) : undefined;
    const byAnon = m.anonymousId ? anons.get(m.anonymousId) : undefined;
    let contactId: string | undefined;
    // Known ids that already agree need no write: resolveContact would find the same contact and re-point
    // the ids at it, changing nothing.
    if (m.userId && byUser && (!m.anonymousId || byAnon === byUser)) contactId = byUser;
    else if (!m.userId && byAnon) contactId = byAnon;
    if (contactId === undefined) {
      // New ids or a merge: write the events so far first (a merge re-points stored events only).
      await flush();
      contactId = await resolveContact(
        store.db,
        workspaceId,
        { userId: m.userId, anonymousId: m.anonymousId },
        receivedAt,
      );
      // A merge moved every identity of the other contact to this one.
      for (const merged of [byUser, byAnon]) {
        if (merged === undefined || merged === contactId) continue;
        for (const map of [users, anons])
          for (const [value, c] of map) if (c === merged) map.set(value, contactId);
      }
      if (m.userId) users.set(m.userId, contactId);
      if (m.anonymousId) anons.set(m.anonymousId, contactId);
    }
    pending.push(toEvent(m, contactId));
    if (pending.length >= CHUNK) await flush();
  }
  await flush();
  return stored;
}
