// Who an event is about: Segment user ids and anonymous ids resolve to one contact; `identify` upserts
// traits, `alias` and late identification merge two profiles into one (earlier events re-pointed), and
// `group` links the contact to an account. Both dialects through Kysely; a synchronous SQLite resolver
// serves the ingestion fast path for track/page/screen calls.
import { sql, type Kysely, type Transaction } from 'kysely';
import type SQLite from 'better-sqlite3';
import {
  canonicalTimeZoneCase,
  isValidEmail,
  mergeAttributes,
  normalizeDomain,
  normalizeEmail,
} from '../domain/contact.js';
import { BatonError } from '../domain/errors.js';
import { isValidTimeZone } from '../domain/time-zones.js';
import { exitEnrollments } from '../engine/exits.js';
import { AccountsRepository } from './accounts.repository.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { fromJson, toJson } from './json.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type IdentityKind = 'user_id' | 'anonymous_id';

export interface IdentityRefs {
  userId?: string | null;
  anonymousId?: string | null;
}

export async function lookupIdentity(
  db: Db,
  workspaceId: string,
  kind: IdentityKind,
  value: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst();
  return row?.contact_id;
}

/** Claims an identity for a contact; false when another contact already holds it. */
async function claimIdentity(
  db: Db,
  workspaceId: string,
  kind: IdentityKind,
  value: string,
  contactId: string,
  now: number,
): Promise<boolean> {
  const r = await db
    .insertInto('contact_identities')
    .values({ workspace_id: workspaceId, kind, value, contact_id: contactId, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

async function pointIdentity(
  db: Db,
  workspaceId: string,
  kind: IdentityKind,
  value: string,
  contactId: string,
  now: number,
): Promise<void> {
  await db
    .insertInto('contact_identities')
    .values({ workspace_id: workspaceId, kind, value, contact_id: contactId, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'kind', 'value']).doUpdateSet({ contact_id: contactId }))
    .execute();
}

/** A profile known only by ids: no email yet; `external_id` is the user id when there is one. */
async function insertProfile(
  db: Db,
  workspaceId: string,
  id: string,
  userId: string | null,
  now: number,
): Promise<void> {
  await db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: workspaceId,
      external_id: userId,
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/**
 * The contact of a user id / anonymous id pair. A user id Baton has not seen resolves to the contact
 * imported with that external id, else to the anonymous profile, else to a new profile; an anonymous id
 * never seen creates an anonymous profile. Two known ids on two contacts merge them (the user id's
 * contact survives).
 */
export async function resolveContact(
  db: Db,
  workspaceId: string,
  refs: IdentityRefs,
  now: number,
): Promise<string> {
  const userId = refs.userId || null;
  const anonymousId = refs.anonymousId || null;
  if (!userId && !anonymousId) {
    throw BatonError.invalid([{ path: 'userId', message: 'needs a userId or an anonymousId' }]);
  }
  const byUser = userId ? await lookupIdentity(db, workspaceId, 'user_id', userId) : undefined;
  const byAnon = anonymousId ? await lookupIdentity(db, workspaceId, 'anonymous_id', anonymousId) : undefined;
  let contactId: string;
  if (byUser) {
    contactId =
      byAnon && byAnon !== byUser ? await mergeContacts(db, workspaceId, byAnon, byUser, now) : byUser;
  } else if (userId) {
    const imported = await db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', userId)
      .executeTakeFirst();
    if (imported) {
      contactId =
        byAnon && byAnon !== imported.id
          ? await mergeContacts(db, workspaceId, byAnon, imported.id, now)
          : imported.id;
    } else if (byAnon) {
      contactId = byAnon;
      await db
        .updateTable('contacts')
        .set({ external_id: userId, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', byAnon)
        .where('external_id', 'is', null)
        .execute();
    } else {
      const fresh = newId('con', now);
      if (!(await claimIdentity(db, workspaceId, 'user_id', userId, fresh, now))) {
        // Another request created this user's profile in the meantime.
        return resolveContact(db, workspaceId, refs, now);
      }
      await insertProfile(db, workspaceId, fresh, userId, now);
      contactId = fresh;
    }
  } else {
    if (byAnon) return byAnon;
    const fresh = newId('con', now);
    if (!(await claimIdentity(db, workspaceId, 'anonymous_id', anonymousId!, fresh, now))) {
      return resolveContact(db, workspaceId, refs, now);
    }
    await insertProfile(db, workspaceId, fresh, null, now);
    return fresh;
  }
  if (userId) await pointIdentity(db, workspaceId, 'user_id', userId, contactId, now);
  if (anonymousId) await pointIdentity(db, workspaceId, 'anonymous_id', anonymousId, contactId, now);
  return contactId;
}

const FILLABLE = [
  'external_id',
  'email',
  'phone',
  'first_name',
  'last_name',
  'title',
  'time_zone',
  'lifecycle_stage',
  'account_id',
] as const;

/**
 * How a merge treats each table that holds rows about one contact (the tables of
 * src/store/privacy/person-tables.ts). test/ingest/identity-merge-optouts.test.ts fails when a table with a
 * `contact_id` column is missing here, so a new per-person table cannot be left pointing at a deleted
 * contact.
 */
export const MERGED_TABLES: Readonly<Record<string, string>> = {
  contacts: 'the survivor keeps its fields, fills empty ones from the other and takes the stricter consent',
  contact_identities: 'moved',
  email_category_optouts: 'moved; a category both opted out of keeps one row',
  list_members: 'moved; a list both are on keeps one row',
  events: 'moved',
  conversions: 'moved',
  enrollments:
    'moved; one in a campaign the survivor is already in is exited as merged and kept under the old id',
  touches: 'moved, those of exited enrollments too (caps and replies count them for the survivor)',
  channel_log: 'moved',
  tasks: 'moved',
  ads_audience_members: 'moved; in an audience both are in, the other row is marked removed (merged)',
  journey_stages: "moved when the survivor has no stage; else the survivor's stage stays",
  journey_stage_changes: 'moved',
};

/** Email states from least to most restrictive: the merged profile takes the stricter of the two. */
const EMAIL_STRICTNESS = ['subscribed', 'bounced', 'unsubscribed', 'complained'];

function stricterStatus(a: string, b: string): string {
  return EMAIL_STRICTNESS.indexOf(b) > EMAIL_STRICTNESS.indexOf(a) ? b : a;
}

const digits = (phone: string | null): string => (phone ?? '').replace(/[^0-9]/g, '');

/**
 * SMS consent belongs to a phone number. The survivor's number keeps its consent unless the other profile
 * had the same number without consent (an opt-out on that number wins); a number taken over from the other
 * profile brings that profile's consent. A profile without a phone says nothing about consent.
 */
function mergedSmsConsent(
  into: { phone: string | null; sms_consent: number },
  from: { phone: string | null; sms_consent: number },
): number {
  if (!into.phone) return from.phone ? from.sms_consent : Math.min(into.sms_consent, from.sms_consent);
  if (from.phone && digits(from.phone) === digits(into.phone))
    return Math.min(into.sms_consent, from.sms_consent);
  return into.sms_consent;
}

/**
 * Merges contact `fromId` into `intoId` in one transaction: every row about `fromId` moves to `intoId`
 * (MERGED_TABLES says how per table), empty fields of the survivor take the other's values, attributes
 * merge (the survivor's win), opt-outs are never lost (the stricter email status, every category opt-out,
 * SMS consent as `mergedSmsConsent` says), and `fromId` is deleted.
 */
export async function mergeContacts(
  db: Db,
  workspaceId: string,
  fromId: string,
  intoId: string,
  now: number,
): Promise<string> {
  if (fromId === intoId) return intoId;
  if (!db.isTransaction) {
    return db.transaction().execute((trx) => mergeContacts(trx, workspaceId, fromId, intoId, now));
  }
  const rows = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [fromId, intoId])
    .execute();
  const from = rows.find((r) => r.id === fromId);
  const into = rows.find((r) => r.id === intoId);
  if (!into) throw BatonError.notFound('contact', intoId);
  if (from) {
    const patch: Record<string, unknown> = {};
    for (const f of FILLABLE) if (into[f] === null && from[f] !== null) patch[f] = from[f];
    const attributes = { ...fromJson(from.attributes, {}), ...fromJson(into.attributes, {}) };
    // Unique keys (email, external id) move with the row: delete the source before the survivor takes them.
    await db
      .deleteFrom('contacts')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', fromId)
      .execute();
    await db
      .updateTable('contacts')
      .set({
        ...patch,
        subscription_status: stricterStatus(into.subscription_status, from.subscription_status),
        sms_consent: mergedSmsConsent(into, from),
        attributes: toJson(attributes),
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', intoId)
      .execute();
  }
  for (const table of [
    'contact_identities',
    'events',
    'conversions',
    'channel_log',
    'tasks',
    'touches',
  ] as const) {
    await db
      .updateTable(table)
      .set({ contact_id: intoId })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', fromId)
      .execute();
  }
  await moveKeyedRows(db, 'email_category_optouts', 'contact_id', 'category', workspaceId, fromId, intoId);
  await moveKeyedRows(db, 'list_members', 'member_id', 'list_id', workspaceId, fromId, intoId);
  await moveEnrollments(db, workspaceId, fromId, intoId, now);
  await moveAudienceMemberships(db, workspaceId, fromId, intoId, now);
  await moveJourney(db, workspaceId, fromId, intoId);
  return intoId;
}

/**
 * Moves rows keyed by (contact, key) — category opt-outs, list memberships — to the survivor. A key both
 * contacts have keeps the survivor's row (the unique index allows one), so the other's is dropped first.
 */
async function moveKeyedRows(
  db: Db,
  table: 'email_category_optouts' | 'list_members',
  contactColumn: 'contact_id' | 'member_id',
  keyColumn: 'category' | 'list_id',
  workspaceId: string,
  fromId: string,
  intoId: string,
): Promise<void> {
  const t = sql.table(table);
  const contact = sql.ref(contactColumn);
  const key = sql.ref(keyColumn);
  await sql`delete from ${t} where workspace_id = ${workspaceId} and ${contact} = ${fromId}
    and ${key} in (select ${key} from ${t} where workspace_id = ${workspaceId} and ${contact} = ${intoId})`.execute(
    db,
  );
  await sql`update ${t} set ${contact} = ${intoId} where workspace_id = ${workspaceId} and ${contact} = ${fromId}`.execute(
    db,
  );
}

async function moveEnrollments(
  db: Db,
  workspaceId: string,
  fromId: string,
  intoId: string,
  now: number,
): Promise<void> {
  const theirs = await db
    .selectFrom('enrollments')
    .select(['id', 'campaign_id'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', fromId)
    .execute();
  if (theirs.length === 0) return;
  const ours = new Set(
    (
      await db
        .selectFrom('enrollments')
        .select('campaign_id')
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', intoId)
        .execute()
    ).map((r) => r.campaign_id),
  );
  // A clashing enrollment cannot move (one enrollment per campaign, contact and cycle): it ends, and its
  // row stays under the old id so the campaign's counts of enrolled people do not change.
  const clash = theirs.filter((e) => ours.has(e.campaign_id)).map((e) => e.id);
  await exitEnrollments(db, workspaceId, clash, 'merged', now);
  const move = theirs.filter((e) => !ours.has(e.campaign_id)).map((e) => e.id);
  for (let i = 0; i < move.length; i += 500) {
    await db
      .updateTable('enrollments')
      .set({ contact_id: intoId })
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', move.slice(i, i + 500))
      .execute();
  }
}

async function moveAudienceMemberships(
  db: Db,
  workspaceId: string,
  fromId: string,
  intoId: string,
  now: number,
): Promise<void> {
  const ours = (
    await db
      .selectFrom('ads_audience_members')
      .select('audience_id')
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', intoId)
      .execute()
  ).map((r) => r.audience_id);
  // Where both are members, the other row stays (it cannot move) and is marked removed, so the next delta
  // export tells the ad network to drop the identifiers it carried.
  if (ours.length > 0) {
    await db
      .updateTable('ads_audience_members')
      .set({ removed_at: now, removed_reason: 'merged' })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', fromId)
      .where('audience_id', 'in', ours)
      .where('removed_at', 'is', null)
      .execute();
  }
  let move = db
    .updateTable('ads_audience_members')
    .set({ contact_id: intoId })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', fromId);
  if (ours.length > 0) move = move.where('audience_id', 'not in', ours);
  await move.execute();
}

async function moveJourney(db: Db, workspaceId: string, fromId: string, intoId: string): Promise<void> {
  const survivorHasStage = await db
    .selectFrom('journey_stages')
    .select('subject_id')
    .where('workspace_id', '=', workspaceId)
    .where('subject_kind', '=', 'contact')
    .where('subject_id', '=', intoId)
    .executeTakeFirst();
  if (survivorHasStage) {
    await db
      .deleteFrom('journey_stages')
      .where('workspace_id', '=', workspaceId)
      .where('subject_kind', '=', 'contact')
      .where('subject_id', '=', fromId)
      .execute();
  } else {
    await db
      .updateTable('journey_stages')
      .set({ subject_id: intoId })
      .where('workspace_id', '=', workspaceId)
      .where('subject_kind', '=', 'contact')
      .where('subject_id', '=', fromId)
      .execute();
  }
  await db
    .updateTable('journey_stage_changes')
    .set({ subject_id: intoId })
    .where('workspace_id', '=', workspaceId)
    .where('subject_kind', '=', 'contact')
    .where('subject_id', '=', fromId)
    .execute();
}

/** `alias`: the profile known by `previousId` (a user id or an anonymous id) becomes the user's. */
export async function aliasIdentity(
  db: Db,
  workspaceId: string,
  previousId: string,
  userId: string,
  now: number,
): Promise<string> {
  const previous =
    (await lookupIdentity(db, workspaceId, 'user_id', previousId)) ??
    (await lookupIdentity(db, workspaceId, 'anonymous_id', previousId));
  const target = await resolveContact(db, workspaceId, { userId }, now);
  if (previous && previous !== target) await mergeContacts(db, workspaceId, previous, target, now);
  if (!previous) await pointIdentity(db, workspaceId, 'anonymous_id', previousId, target, now);
  return target;
}

const TRAIT_FIELDS: Record<string, 'phone' | 'first_name' | 'last_name' | 'title'> = {
  phone: 'phone',
  firstName: 'first_name',
  first_name: 'first_name',
  lastName: 'last_name',
  last_name: 'last_name',
  title: 'title',
};
const PHONE = /^\+?[0-9 ().-]{5,32}$/;

/**
 * `identify`: resolves the contact and applies the traits (email, phone, names, time zone; everything
 * else into attributes). An email that belongs to another contact merges the identified profile into
 * that contact, which keeps its id and enrollments.
 */
export async function identifyContact(
  db: Db,
  workspaceId: string,
  refs: IdentityRefs,
  traits: Record<string, unknown>,
  now: number,
): Promise<string> {
  let contactId = await resolveContact(db, workspaceId, refs, now);
  const row = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirstOrThrow();
  const patch: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(traits)) {
    if (key === 'email' && typeof value === 'string' && isValidEmail(normalizeEmail(value))) {
      const email = normalizeEmail(value);
      if (email === row.email) continue;
      const owner = await db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('email', '=', email)
        .executeTakeFirst();
      if (owner) contactId = await mergeContacts(db, workspaceId, contactId, owner.id, now);
      else patch.email = email;
    } else if (TRAIT_FIELDS[key] && typeof value === 'string' && (key !== 'phone' || PHONE.test(value))) {
      patch[TRAIT_FIELDS[key]] = value.trim();
    } else if (key === 'name' && typeof value === 'string' && !('firstName' in traits)) {
      const [first, ...rest] = value.trim().split(/\s+/);
      patch.first_name = first ?? null;
      if (rest.length > 0) patch.last_name = rest.join(' ');
    } else if (
      (key === 'timezone' || key === 'time_zone') &&
      typeof value === 'string' &&
      isValidTimeZone(value)
    ) {
      patch.time_zone = canonicalTimeZoneCase(value.trim());
    } else if (key !== 'email' && key !== 'id' && key !== 'userId') {
      custom[key] = value;
    } else if (key === 'email') {
      custom.email_invalid = value;
    }
  }
  const current = await db
    .selectFrom('contacts')
    .select('attributes')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirstOrThrow();
  const attributes = mergeAttributes(fromJson(current.attributes, {}), custom);
  await db
    .updateTable('contacts')
    .set({ ...patch, attributes: toJson(attributes), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute();
  return contactId;
}

/**
 * `group`: the account with the group id as external id (else the traits' domain) is created or updated
 * from the traits (domain or website, name, industry, employees → size) and the contact is linked to it.
 */
export async function groupContact(
  store: Store,
  workspaceId: string,
  contactId: string,
  groupId: string,
  traits: Record<string, unknown>,
  now: number,
): Promise<string> {
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const rawDomain = str(traits.domain) ?? str(traits.website);
  const domain = rawDomain ? normalizeDomain(rawDomain) : undefined;
  const employees = Number(traits.employees ?? traits.size);
  const input = {
    external_id: groupId,
    ...(domain && /^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain) ? { domain } : {}),
    ...(str(traits.name) ? { name: str(traits.name) } : {}),
    ...(str(traits.industry) ? { industry: str(traits.industry) } : {}),
    ...(Number.isInteger(employees) && employees >= 0 ? { size: employees } : {}),
  };
  const accounts = new AccountsRepository(store);
  let accountId: string;
  try {
    accountId = (await accounts.upsert(workspaceId, input, now)).account.id;
  } catch (e) {
    // The domain belongs to an account with another external id: link to that account, as the domain says.
    const byDomain = input.domain ? await accounts.findByDomain(workspaceId, input.domain) : undefined;
    if (!byDomain) throw e;
    accountId = byDomain.id;
  }
  await store.db
    .updateTable('contacts')
    .set({ account_id: accountId, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute();
  return accountId;
}

/** The identities of a contact, for the API. */
export async function identitiesOf(
  db: Db,
  workspaceId: string,
  contactId: string,
): Promise<Array<{ kind: string; value: string }>> {
  return db
    .selectFrom('contact_identities')
    .select(['kind', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('kind')
    .orderBy('value')
    .execute();
}

/**
 * The synchronous resolver of the SQLite fast path (track, page and screen calls inside one
 * better-sqlite3 transaction): known ids are a prepared point lookup; unknown ones create a profile the
 * way `resolveContact` does. Pairs that need a merge are left to the Kysely path (returns undefined).
 */
export class SqliteIdentityResolver {
  private readonly find: SQLite.Statement<[string, string, string], { contact_id: string }>;
  private readonly byExternal: SQLite.Statement<[string, string], { id: string }>;
  private readonly claim: SQLite.Statement<[string, string, string, string, number]>;
  private readonly insertContact: SQLite.Statement<[string, string, string | null, number, number]>;

  constructor(sqlite: SQLite.Database) {
    this.find = sqlite.prepare(
      'SELECT contact_id FROM contact_identities WHERE workspace_id = ? AND kind = ? AND value = ?',
    );
    this.byExternal = sqlite.prepare('SELECT id FROM contacts WHERE workspace_id = ? AND external_id = ?');
    this.claim = sqlite.prepare(
      'INSERT INTO contact_identities (workspace_id, kind, value, contact_id, created_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (workspace_id, kind, value) DO UPDATE SET contact_id = excluded.contact_id',
    );
    this.insertContact = sqlite.prepare(
      "INSERT INTO contacts (id, workspace_id, external_id, subscription_status, sms_consent, attributes, created_at, updated_at) VALUES (?, ?, ?, 'subscribed', 0, '{}', ?, ?)",
    );
  }

  /** Must run inside a better-sqlite3 transaction. */
  resolve(
    workspaceId: string,
    userId: string | null,
    anonymousId: string | null,
    now: number,
  ): string | undefined {
    const byUser = userId ? this.find.get(workspaceId, 'user_id', userId)?.contact_id : undefined;
    if (byUser && !anonymousId) return byUser;
    const byAnon = anonymousId
      ? this.find.get(workspaceId, 'anonymous_id', anonymousId)?.contact_id
      : undefined;
    if (byUser) {
      if (!byAnon) this.claim.run(workspaceId, 'anonymous_id', anonymousId!, byUser, now);
      return byAnon && byAnon !== byUser ? undefined : byUser;
    }
    if (!userId) {
      if (byAnon) return byAnon;
      const id = newId('con', now);
      this.insertContact.run(id, workspaceId, null, now, now);
      this.claim.run(workspaceId, 'anonymous_id', anonymousId!, id, now);
      return id;
    }
    // A new user id: attaching it to an anonymous profile or an imported contact is the Kysely path's job.
    if (byAnon || this.byExternal.get(workspaceId, userId)) return undefined;
    const id = newId('con', now);
    this.insertContact.run(id, workspaceId, userId, now, now);
    this.claim.run(workspaceId, 'user_id', userId, id, now);
    if (anonymousId) this.claim.run(workspaceId, 'anonymous_id', anonymousId, id, now);
    return id;
  }
}
