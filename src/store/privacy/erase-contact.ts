// Erasure of one person (GDPR art. 17, CCPA deletion): in one transaction, everything Baton holds about the
// contact goes, except the anonymous facts past campaign reports count. Those rows stay under a tombstone id
// (random, the same for every row of this erasure, linked to nothing), with every field that could name the
// person emptied. Decision 0016 records the choices.
import { sql, type Transaction } from 'kysely';
import type { CampaignSpec } from '../../domain/campaign.js';
import { BatonError } from '../../domain/errors.js';
import { forgetSentErasures, removeContactsFromAudiences } from '../ads-audiences.repository.js';
import { ImportsRepository } from '../imports.repository.js';
import { recordAudit, type AuditActor } from '../audit.repository.js';
import type { Store } from '../db.js';
import { newId } from '../ids.js';
import { fromJson, toJson } from '../json.js';
import type { Database } from '../schema.js';
import { listColumns } from './columns.js';
import { ERASED_KIND, ERASED_REASON, erasedEmailKey } from './erased-emails.js';
import { PERSON_TABLES, type PersonTable } from './person-tables.js';

type Trx = Transaction<Database>;

export interface ErasureResult {
  contactId: string;
  /** The id the kept anonymous rows now carry. */
  tombstoneId: string;
  /** Rows changed or removed, per table. */
  tables: Record<string, { deleted: number; anonymised: number }>;
  /** Whether the email went on the suppression list as a hash. */
  emailSuppressed: boolean;
}

/** Touch statuses that have not been performed yet: cancelled at erasure. */
const PENDING = ['planned', 'held'];

/**
 * Erases the contact and returns what changed. A contact of another workspace is `not_found`. Tables
 * with a `contact_id` column that `PERSON_TABLES` does not list lose the person's rows.
 */
export async function eraseContact(
  store: Store,
  workspaceId: string,
  contactId: string,
  now: number,
  actor: AuditActor = { type: 'system', id: null },
): Promise<ErasureResult> {
  const columns = await listColumns(store);
  return store.db.transaction().execute(async (trx) => {
    const contact = await trx
      .selectFrom('contacts')
      .select(['id', 'email', 'external_id', 'phone'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contactId)
      .executeTakeFirst();
    if (!contact) throw BatonError.notFound('contact', contactId);
    const tombstoneId = newId('erased', now);
    const result: ErasureResult = { contactId, tombstoneId, tables: {}, emailSuppressed: false };
    const count = (table: string, deleted: number, anonymised: number) => {
      const t = (result.tables[table] ??= { deleted: 0, anonymised: 0 });
      t.deleted += deleted;
      t.anonymised += anonymised;
    };

    const present = new Map<string, Set<string>>();
    for (const c of columns) {
      let set = present.get(c.table);
      if (!set) present.set(c.table, (set = new Set()));
      set.add(c.column);
    }
    const ctx: EraseContext = { trx, workspaceId, contactId, tombstoneId, now };
    for (const entry of PERSON_TABLES) {
      const cols = present.get(entry.table);
      if (!cols || entry.table === 'contacts') continue;
      const r = await eraseTable(ctx, entry, cols);
      count(entry.table, r.deleted, r.anonymised);
    }
    // Tables added after this registry was last reviewed: their rows about the person go.
    for (const [table, cols] of present) {
      if (!cols.has('contact_id') || PERSON_TABLES.some((t) => t.table === table)) continue;
      const r = await eraseTable(
        ctx,
        { table, column: 'contact_id', plan: { action: 'delete' }, why: '' },
        cols,
      );
      count(table, r.deleted, 0);
    }

    if (contact.email) {
      const removed = await trx
        .deleteFrom('suppressions')
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', 'email')
        .where('value', '=', contact.email.trim().toLowerCase())
        .executeTakeFirst();
      count('suppressions', Number(removed.numDeletedRows), 0);
      await trx
        .insertInto('suppressions')
        .values({
          id: newId('sup', now),
          workspace_id: workspaceId,
          kind: ERASED_KIND,
          value: erasedEmailKey(workspaceId, contact.email),
          reason: ERASED_REASON,
          note: null,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'value']).doNothing())
        .execute();
      result.emailSuppressed = true;
    }
    // Import reports quote the rejected rows' values: reasons naming the person go.
    const reports = await new ImportsRepository({ db: trx }).forgetValues(
      workspaceId,
      [contact.email, contact.external_id, contact.phone].filter((v): v is string => !!v),
    );
    if (reports > 0) count('imports', 0, reports);
    await trx
      .deleteFrom('contacts')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contactId)
      .execute();
    count('contacts', 1, 0);
    // The trail names the contact id (an identifier nothing else holds any more) and the counts, never the person.
    await recordAudit(trx, {
      workspaceId,
      at: now,
      actor,
      action: 'contact.erase',
      target: { type: 'contact', id: contactId },
      details: { tombstone_id: tombstoneId, tables: result.tables },
    });
    return result;
  });
}

interface EraseContext {
  trx: Trx;
  workspaceId: string;
  contactId: string;
  tombstoneId: string;
  now: number;
}

async function eraseTable(
  ctx: EraseContext,
  entry: PersonTable,
  cols: Set<string>,
): Promise<{ deleted: number; anonymised: number }> {
  const { trx, workspaceId, contactId, tombstoneId } = ctx;
  const inWorkspace = cols.has('workspace_id') ? sql`and workspace_id = ${workspaceId}` : sql``;
  const only = entry.only ? sql`and ${sql.ref(entry.only.column)} = ${entry.only.value}` : sql``;
  const match = sql`${sql.ref(entry.column)} = ${contactId} ${inWorkspace} ${only}`;
  switch (entry.plan.action) {
    case 'delete': {
      const r = await sql`delete from ${sql.table(entry.table)} where ${match}`.execute(trx);
      return { deleted: Number(r.numAffectedRows ?? 0), anonymised: 0 };
    }
    case 'anonymise': {
      const sets = [
        sql`${sql.ref(entry.column)} = ${tombstoneId}`,
        ...Object.entries(entry.plan.clear)
          .filter(([c]) => cols.has(c))
          .map(([c, kind]) => sql`${sql.ref(c)} = ${kind === 'json' ? '{}' : null}`),
      ];
      const r = await sql`update ${sql.table(entry.table)} set ${sql.join(sets)} where ${match}`.execute(trx);
      return { deleted: 0, anonymised: Number(r.numAffectedRows ?? 0) };
    }
    case 'custom':
      if (entry.table === 'enrollments') return { deleted: 0, anonymised: await eraseEnrollments(ctx) };
      if (entry.table === 'touches') return { deleted: 0, anonymised: await eraseTouches(ctx) };
      if (entry.table === 'events') return { deleted: 0, anonymised: await eraseEvents(ctx) };
      if (entry.table === 'ads_audience_members') {
        await removeContactsFromAudiences(trx, workspaceId, [contactId], 'erased', ctx.now);
        const r = await eraseTable(ctx, { ...entry, plan: { action: 'anonymise', clear: {} } }, cols);
        // Hashes no network needs a removal for go now; the others once the removal has been exported.
        await forgetSentErasures(trx, workspaceId);
        return r;
      }
      throw new Error(`no erasure written for the ${entry.table} table`);
  }
}

async function eraseEnrollments({ trx, workspaceId, contactId, tombstoneId, now }: EraseContext) {
  await trx
    .updateTable('enrollments')
    .set({ state: 'exited', exit_reason: 'erased', exited_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('state', '=', 'active')
    .execute();
  const r = await trx
    .updateTable('enrollments')
    .set({ contact_id: tombstoneId })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

async function eraseTouches({ trx, workspaceId, contactId, tombstoneId }: EraseContext) {
  // Rendered content, the recipient's address and SMTP answers (which often quote the address) go; the
  // Message-ID goes too, so a late reply from the person cannot attach to the kept row.
  await trx
    .updateTable('touches')
    .set({ status: 'cancelled', reason: 'erased' })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('status', 'in', PENDING)
    .execute();
  await trx
    .updateTable('touches')
    .set({ reason: null })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('reason', '<>', 'erased')
    .execute();
  const r = await trx
    .updateTable('touches')
    .set({ contact_id: tombstoneId, details: '{}', message_id: null })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * What reports read from event properties, and nothing else: the `machine` flag of opens, and for the
 * workspace's goal events the value property (`revenue` / `value` by default) as a number and the goal
 * filter's keys when they hold the filter's own value (written by the campaign's author, not the person).
 */
interface KeptProperties {
  numbers: Set<string>;
  filterValues: Map<string, Set<unknown>>;
}

async function keptProperties(trx: Trx, workspaceId: string): Promise<KeptProperties> {
  const kept: KeptProperties = { numbers: new Set(['revenue', 'value']), filterValues: new Map() };
  const rows = await trx
    .selectFrom('campaigns')
    .select(['spec', 'frozen_plan'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  for (const r of rows) {
    const goals = [
      fromJson<Partial<CampaignSpec>>(r.spec, {}).goal,
      fromJson<{ goal?: CampaignSpec['goal'] } | null>(r.frozen_plan, null)?.goal,
    ];
    for (const g of goals) {
      if (!g) continue;
      if (g.value_property) kept.numbers.add(g.value_property);
      for (const [k, v] of Object.entries(g.filter ?? {})) {
        let set = kept.filterValues.get(k);
        if (!set) kept.filterValues.set(k, (set = new Set()));
        set.add(v);
      }
    }
  }
  return kept;
}

export function anonymiseProperties(
  props: Record<string, unknown>,
  kept: KeptProperties,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof props.machine === 'boolean') out.machine = props.machine;
  for (const [k, v] of Object.entries(props)) {
    if (kept.filterValues.get(k)?.has(v)) out[k] = v;
    if (kept.numbers.has(k)) {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
    }
  }
  return out;
}

async function eraseEvents({ trx, workspaceId, contactId, tombstoneId }: EraseContext) {
  const kept = await keptProperties(trx, workspaceId);
  const rows = await trx
    .selectFrom('events')
    .select(['seq', 'properties', 'message_id'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .execute();
  // Rows with the same remaining properties are updated together.
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const json = toJson(anonymiseProperties(fromJson(r.properties, {}), kept));
    let list = groups.get(json);
    if (!list) groups.set(json, (list = []));
    list.push(Number(r.seq));
  }
  for (const [properties, seqs] of groups) {
    for (let i = 0; i < seqs.length; i += 500) {
      await trx
        .updateTable('events')
        .set({
          contact_id: tombstoneId,
          anonymous_id: null,
          properties,
          // Engine idempotency keys such as `unsub:<contact id>` keep working without naming the contact.
          message_id: sql<string | null>`replace(message_id, ${contactId}, ${tombstoneId})`,
        })
        .where('workspace_id', '=', workspaceId)
        .where('seq', 'in', seqs.slice(i, i + 500))
        .execute();
    }
  }
  return rows.length;
}
