// Ads audiences: named per workspace, filled by the `ads` channel, emptied as contacts exit, unsubscribe or
// are erased, and exported as the customer-list files Google Ads and Meta accept (full, or the members
// added and removed since a time or since the previous export of that format).
import { sql, type Kysely } from 'kysely';
import { csvFile, type ExportFormat, type HashedIdentifiers } from '../channels/ads/identifiers.js';
import { BatonError } from '../domain/errors.js';
import { isPostgres, type Store } from './db.js';
import { newId } from './ids.js';
import { fromJson, toJson } from './json.js';
import type { Database } from './schema.js';

declare module './schema.js' {
  interface Database {
    ads_audiences: AdsAudiencesTable;
    ads_audience_members: AdsAudienceMembersTable;
    ads_audience_exports: AdsAudienceExportsTable;
  }
}

export interface AdsAudiencesTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
}

export interface AdsAudienceMembersTable {
  workspace_id: string;
  audience_id: string;
  contact_id: string;
  campaign_id: string | null;
  enrollment_id: string | null;
  /** JSON `HashedIdentifiers`: what the platforms match on, hashed when the contact entered. */
  identifiers: unknown;
  added_at: number;
  removed_at: number | null;
  /** exited:<reason> | unsubscribed | complained | suppressed | erased */
  removed_reason: string | null;
}

export interface AdsAudienceExportsTable {
  id: string;
  workspace_id: string;
  audience_id: string;
  format: string;
  /** full | delta */
  mode: string;
  since: number | null;
  added: number;
  removed: number;
  created_at: number;
}

export interface AdsAudience {
  id: string;
  name: string;
  members: number;
  removed: number;
  createdAt: number;
  lastExportAt: number | null;
}

export interface NewMember {
  contactId: string;
  campaignId: string | null;
  enrollmentId: string | null;
  identifiers: HashedIdentifiers;
}

/** The members added and removed between `since` and `until`, as two files of one platform's format. */
export interface DeltaFiles {
  mode: 'delta';
  format: ExportFormat;
  since: number;
  until: number;
  added: { count: number; csv: string };
  removed: { count: number; csv: string };
}

/** A delta with its audience, as `delta` computes it and `recordDelta` records it. */
export interface AudienceDelta extends DeltaFiles {
  audienceId: string;
}

export type AudienceExport =
  { mode: 'full'; format: ExportFormat; until: number; members: number; csv: string } | DeltaFiles;

/** Reasons a contact leaves every audience (not only the ones a campaign put them in). */
export type ContactRemoval = 'unsubscribed' | 'complained' | 'suppressed' | 'erased';

const CHUNK = 500;

export class AdsAudiencesRepository {
  constructor(private readonly store: Store) {}

  /** The audience named `name`, created on first use. */
  async ensure(workspaceId: string, name: string, now: number): Promise<string> {
    const clean = name.trim();
    if (clean === '' || clean.length > 200) {
      throw BatonError.invalid([{ path: 'audience', message: 'must be a name of 1 to 200 characters' }]);
    }
    await this.store.db
      .insertInto('ads_audiences')
      .values({ id: newId('aud', now), workspace_id: workspaceId, name: clean, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
      .execute();
    const row = await this.store.db
      .selectFrom('ads_audiences')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', clean)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Adds contacts to an audience. A contact already in stays in (its campaign and enrollment become the
   * latest adder's, its identifiers are refreshed); one removed earlier comes back with a new `added_at`.
   */
  async addMembers(
    workspaceId: string,
    audienceId: string,
    members: NewMember[],
    now: number,
  ): Promise<void> {
    for (let i = 0; i < members.length; i += CHUNK) {
      const rows = members.slice(i, i + CHUNK).map((m) => ({
        workspace_id: workspaceId,
        audience_id: audienceId,
        contact_id: m.contactId,
        campaign_id: m.campaignId,
        enrollment_id: m.enrollmentId,
        identifiers: toJson(m.identifiers),
        added_at: now,
        removed_at: null,
        removed_reason: null,
      }));
      await this.store.db
        .insertInto('ads_audience_members')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['audience_id', 'contact_id']).doUpdateSet((eb) => ({
            campaign_id: eb.ref('excluded.campaign_id'),
            enrollment_id: eb.ref('excluded.enrollment_id'),
            identifiers: eb.ref('excluded.identifiers'),
            // A current member keeps the time it entered; a returning one enters again now.
            added_at: eb
              .case()
              .when('ads_audience_members.removed_at', 'is', null)
              .then(eb.ref('ads_audience_members.added_at'))
              .else(eb.ref('excluded.added_at'))
              .end(),
            removed_at: null,
            removed_reason: null,
          })),
        )
        .execute();
    }
  }

  async list(workspaceId: string): Promise<AdsAudience[]> {
    const audiences = await this.store.db
      .selectFrom('ads_audiences')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute();
    const counts = await this.store.db
      .selectFrom('ads_audience_members')
      .select((eb) => ['audience_id', eb.fn.countAll().as('total'), eb.fn.count('removed_at').as('removed')])
      .where('workspace_id', '=', workspaceId)
      .groupBy('audience_id')
      .execute();
    const exports = await this.store.db
      .selectFrom('ads_audience_exports')
      .select((eb) => ['audience_id', eb.fn.max('created_at').as('last')])
      .where('workspace_id', '=', workspaceId)
      .groupBy('audience_id')
      .execute();
    const byId = new Map(counts.map((c) => [c.audience_id, c]));
    const lastExport = new Map(exports.map((e) => [e.audience_id, e.last]));
    return audiences.map((a) => {
      const c = byId.get(a.id);
      const total = Number(c?.total ?? 0);
      const removed = Number(c?.removed ?? 0);
      const last = lastExport.get(a.id);
      return {
        id: a.id,
        name: a.name,
        members: total - removed,
        removed,
        createdAt: Number(a.created_at),
        lastExportAt: last === null || last === undefined ? null : Number(last),
      };
    });
  }

  async get(workspaceId: string, idOrName: string): Promise<AdsAudience> {
    const found = (await this.list(workspaceId)).find((a) => a.id === idOrName || a.name === idOrName);
    if (!found) throw BatonError.notFound('ads audience', idOrName);
    return found;
  }

  /**
   * The audience as one platform's file. `full`: every current member. `delta`: the members added and
   * the members removed after `since` (default: the previous export of this format, else the audience's
   * creation), as two files, because both platforms take removals as a separate upload. Each export is
   * recorded so the next delta starts where this one ended.
   */
  async export(
    workspaceId: string,
    idOrName: string,
    options: { format: ExportFormat; mode: 'full' | 'delta'; since?: number },
    now: number,
  ): Promise<AudienceExport> {
    const audience = await this.get(workspaceId, idOrName);
    if (options.mode === 'full') {
      const rows = withIdentifiers(
        await this.store.db
          .selectFrom('ads_audience_members')
          .select(['identifiers'])
          .where('workspace_id', '=', workspaceId)
          .where('audience_id', '=', audience.id)
          .where('removed_at', 'is', null)
          .where('added_at', '<=', now)
          .orderBy('contact_id')
          .execute(),
      );
      await this.record(workspaceId, audience.id, options.format, 'full', null, rows.length, 0, now);
      return {
        mode: 'full',
        format: options.format,
        until: now,
        members: rows.length,
        csv: csvFile(options.format, rows),
      };
    }
    const delta = await this.delta(workspaceId, audience.id, options, now);
    await this.recordDelta(workspaceId, delta);
    const { audienceId: _recorded, ...files } = delta;
    return files;
  }

  /**
   * The members added and removed after `since` (default: the previous export of this format, else the
   * audience's creation), without recording it: a push records it with `recordDelta` only once its endpoint
   * has accepted it, so a failed push is part of the next delta.
   */
  async delta(
    workspaceId: string,
    idOrName: string,
    options: { format: ExportFormat; since?: number },
    now: number,
  ): Promise<AudienceDelta> {
    const audience = await this.get(workspaceId, idOrName);
    const previous = await this.previousExportAt(workspaceId, audience.id, options.format);
    const since = options.since ?? previous ?? audience.createdAt - 1;
    if (since > now) {
      throw BatonError.invalid([{ path: 'since', message: 'is in the future' }]);
    }
    // Members carry the time of the dispatcher batch that added or removed them, which commits a little
    // later: a change stamped just before the previous export may have become visible only after it. A
    // delta that follows the previous export therefore reads IN_FLIGHT_MS further back; re-adding or
    // re-removing an identifier is harmless on both platforms, missing one is not.
    const from = options.since === undefined && previous !== null ? since - IN_FLIGHT_MS : since;
    const base = this.store.db
      .selectFrom('ads_audience_members')
      .select(['identifiers'])
      .where('workspace_id', '=', workspaceId)
      .where('audience_id', '=', audience.id)
      .orderBy('contact_id');
    const added = withIdentifiers(
      await base
        .where('removed_at', 'is', null)
        .where('added_at', '>', from)
        .where('added_at', '<=', now)
        .execute(),
    );
    const removed = withIdentifiers(
      await base.where('removed_at', '>', from).where('removed_at', '<=', now).execute(),
    );
    return {
      mode: 'delta',
      audienceId: audience.id,
      format: options.format,
      since,
      until: now,
      added: { count: added.length, csv: csvFile(options.format, added) },
      removed: { count: removed.length, csv: csvFile(options.format, removed) },
    };
  }

  /**
   * Records a delta as sent (the next delta of its format starts at its `until`), and empties the
   * identifiers of erased people whose removal every format has now been sent.
   */
  async recordDelta(workspaceId: string, delta: AudienceDelta): Promise<void> {
    await this.record(
      workspaceId,
      delta.audienceId,
      delta.format,
      'delta',
      delta.since,
      delta.added.count,
      delta.removed.count,
      delta.until,
    );
    await forgetSentErasures(this.store.db, workspaceId);
  }

  private async previousExportAt(
    workspaceId: string,
    audienceId: string,
    format: ExportFormat,
  ): Promise<number | null> {
    const row = await this.store.db
      .selectFrom('ads_audience_exports')
      .select((eb) => eb.fn.max('created_at').as('last'))
      .where('workspace_id', '=', workspaceId)
      .where('audience_id', '=', audienceId)
      .where('format', '=', format)
      .executeTakeFirst();
    return row?.last === null || row?.last === undefined ? null : Number(row.last);
  }

  private async record(
    workspaceId: string,
    audienceId: string,
    format: ExportFormat,
    mode: 'full' | 'delta',
    since: number | null,
    added: number,
    removed: number,
    now: number,
  ): Promise<void> {
    await this.store.db
      .insertInto('ads_audience_exports')
      .values({
        id: newId('axp', now),
        workspace_id: workspaceId,
        audience_id: audienceId,
        format,
        mode,
        since,
        added,
        removed,
        created_at: now,
      })
      .execute();
  }
}

/**
 * How far before the previous export a following delta reads again: a dispatcher batch commits within its
 * lease (5 minutes by default), so no change stamped earlier than this can still be in flight.
 */
export const IN_FLIGHT_MS = 5 * 60_000;

const EMPTY: HashedIdentifiers = {
  google: { email: null, phone: null, firstName: null, lastName: null, country: null, zip: null },
  meta: { email: null, phone: null, fn: null, ln: null, country: null, zip: null },
};

/**
 * The identifiers of member rows that still have some: an erased person's are emptied once every network
 * has been sent the removal, and such a row has nothing left to send.
 */
function withIdentifiers(rows: Array<{ identifiers: unknown }>): HashedIdentifiers[] {
  return rows
    .map((r) => fromJson<Partial<HashedIdentifiers>>(r.identifiers, EMPTY))
    .filter((h): h is HashedIdentifiers => Boolean(h.google && h.meta));
}

/**
 * Takes contacts out of the audiences the given enrollments put them in (the enrollments exited). Runs
 * inside the exit's transaction when there is one.
 */
export async function removeEnrollmentsFromAudiences(
  db: Kysely<Database>,
  workspaceId: string,
  enrollmentIds: readonly string[],
  reason: string,
  now: number,
): Promise<void> {
  for (let i = 0; i < enrollmentIds.length; i += CHUNK) {
    await db
      .updateTable('ads_audience_members')
      .set({ removed_at: now, removed_reason: `exited:${reason}` })
      .where('workspace_id', '=', workspaceId)
      .where('enrollment_id', 'in', enrollmentIds.slice(i, i + CHUNK))
      .where('removed_at', 'is', null)
      .execute();
  }
}

/** Takes contacts out of every audience of the workspace (unsubscribe, complaint, suppression, erasure). */
export async function removeContactsFromAudiences(
  db: Kysely<Database>,
  workspaceId: string,
  contactIds: readonly string[],
  reason: ContactRemoval,
  now: number,
): Promise<void> {
  for (let i = 0; i < contactIds.length; i += CHUNK) {
    await db
      .updateTable('ads_audience_members')
      .set({ removed_at: now, removed_reason: reason })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', contactIds.slice(i, i + CHUNK))
      .where('removed_at', 'is', null)
      .execute();
  }
}

/** Contacts whose email a new suppression covers (the address itself, or its whole domain). */
export async function removeSuppressedFromAudiences(
  db: Kysely<Database>,
  workspaceId: string,
  suppression: { kind: 'email' | 'domain'; value: string },
  reason: string,
  now: number,
): Promise<void> {
  // Stored addresses keep the local part's case and suppression values are lower-cased: compare lower(email),
  // written as the expression indexes of the audiences migration (and src/store/audience.ts) so they serve it.
  const email = sql<string>`lower(email)`;
  const domain = isPostgres(db)
    ? sql<string>`split_part(lower(email), '@', 2)`
    : sql<string>`substr(lower(email), instr(email, '@') + 1)`;
  const value = suppression.value.toLowerCase();
  const rows = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where(suppression.kind === 'email' ? email : domain, '=', value)
    .execute();
  await removeContactsFromAudiences(
    db,
    workspaceId,
    rows.map((r) => r.id),
    reason === 'unsubscribe' ? 'unsubscribed' : reason === 'complaint' ? 'complained' : 'suppressed',
    now,
  );
}

/** The prefix of the tombstone ids an erasure gives the rows it keeps (src/store/privacy/erase-contact.ts). */
const TOMBSTONE_PREFIX = 'erased_';

/**
 * Empties the hashed identifiers of erased people's audience entries once they are no longer needed, and
 * returns how many were emptied. They are kept only to send the removal: an entry's hashes go when, for
 * every format exported while the person may have been in the network's list (an export at or before the
 * removal), a later delta of that format has covered the removal. An audience never exported needs no
 * removal sent, so its erased entries are emptied at once. The entry itself stays, under its tombstone, for
 * the audience's counts.
 */
export async function forgetSentErasures(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const members = await db
    .selectFrom('ads_audience_members')
    .select(['audience_id', 'contact_id', 'removed_at', 'identifiers'])
    .where('workspace_id', '=', workspaceId)
    .where(sql<string>`substr(contact_id, 1, ${TOMBSTONE_PREFIX.length})`, '=', TOMBSTONE_PREFIX)
    .where('removed_at', 'is not', null)
    .execute();
  const pending = members.filter((m) => {
    const h = fromJson<Partial<HashedIdentifiers>>(m.identifiers, {});
    return Boolean(h.google || h.meta);
  });
  if (pending.length === 0) return 0;
  const exports = await db
    .selectFrom('ads_audience_exports')
    .select(['audience_id', 'format', 'mode', 'since', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('audience_id', 'in', [...new Set(pending.map((m) => m.audience_id))])
    .execute();
  let forgotten = 0;
  for (const m of pending) {
    const removedAt = Number(m.removed_at);
    const mine = exports.filter((e) => e.audience_id === m.audience_id);
    const formats = new Set(mine.filter((e) => Number(e.created_at) <= removedAt).map((e) => e.format));
    const sent = [...formats].every((f) =>
      mine.some(
        (e) =>
          e.format === f &&
          e.mode === 'delta' &&
          (e.since === null || Number(e.since) < removedAt) &&
          removedAt < Number(e.created_at),
      ),
    );
    if (!sent) continue;
    await db
      .updateTable('ads_audience_members')
      .set({ identifiers: toJson({}) })
      .where('workspace_id', '=', workspaceId)
      .where('audience_id', '=', m.audience_id)
      .where('contact_id', '=', m.contact_id)
      .execute();
    forgotten++;
  }
  return forgotten;
}
