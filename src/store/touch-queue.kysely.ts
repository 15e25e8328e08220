// The touch queue as Kysely queries, on both dialects (PostgreSQL claims with FOR UPDATE SKIP LOCKED and locks
// the batch's contacts in id order, decision 0009). `touch-queue.ts` has the interface.
import { sql, type Kysely } from 'kysely';
import { fromJson } from './json.js';
import type { Database } from './schema.js';
import type {
  ContactRow,
  EnrollmentInsert,
  EnrollmentState,
  EventInsert,
  HistoryEntry,
  PriorEnrollment,
  TouchInsert,
  TouchQueue,
  TouchRow,
} from './touch-queue.js';

const ACTIVE_HISTORY = ['sent', 'claimed'];

export class KyselyTouchQueue implements TouchQueue {
  /** The domain of `contacts.email`, lower-cased (the same text as the suppression list's domains). */
  private readonly emailDomain;

  constructor(private readonly postgres: boolean) {
    this.emailDomain = postgres
      ? sql<string>`split_part(lower(contacts.email), '@', 2)`
      : sql<string>`substr(lower(contacts.email), instr(contacts.email, '@') + 1)`;
  }

  async reclaimExpired(db: Kysely<Database>, now: number): Promise<number> {
    const r = await db
      .updateTable('touches')
      .set({ status: 'planned', lease_until: null, claimed_by: null, sent_at: null })
      .where('status', '=', 'claimed')
      .where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async claimDue(db: Kysely<Database>, now: number, limit: number): Promise<TouchRow[]> {
    let q = db
      .selectFrom('touches')
      .selectAll()
      .where('status', '=', 'planned')
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .orderBy('priority', 'desc')
      .limit(limit);
    if (this.postgres) q = q.forUpdate().skipLocked();
    return (await q.execute()) as TouchRow[];
  }

  async lockContacts(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ContactRow>> {
    const out = new Map<string, ContactRow>();
    for (let i = 0; i < ids.length; i += 500) {
      let q = db
        .selectFrom('contacts')
        .select([
          'id',
          'email',
          'phone',
          'first_name',
          'last_name',
          'time_zone',
          'account_id',
          'subscription_status',
          'sms_consent',
          'attributes',
          sql<unknown>`exists (select 1 from suppressions s where s.workspace_id = contacts.workspace_id
            and s.value in (lower(contacts.email), ${this.emailDomain}))`.as('suppressed'),
        ])
        .where('id', 'in', ids.slice(i, i + 500))
        .orderBy('id');
      if (this.postgres) q = q.forUpdate();
      for (const row of await q.execute()) {
        // PostgreSQL answers a boolean, SQLite 0 or 1.
        out.set(row.id, { ...row, suppressed: row.suppressed === true || row.suppressed === 1 });
      }
    }
    return out;
  }

  async loadEnrollments(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, EnrollmentState>> {
    const out = new Map<string, EnrollmentState>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db
        .selectFrom('enrollments')
        .select(['id', 'state', 'variants', 'account_id'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows)
        out.set(r.id, { ...r, variants: fromJson<Record<string, string>>(r.variants, {}) });
    }
    return out;
  }

  async loadHistory(
    db: Kysely<Database>,
    contactsByWorkspace: ReadonlyMap<string, ReadonlySet<string>>,
    since: number,
  ): Promise<Map<string, HistoryEntry[]>> {
    const out = new Map<string, HistoryEntry[]>();
    for (const [ws, set] of contactsByWorkspace) {
      const ids = [...set];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom('touches')
          .select(['contact_id', 'sent_at', 'channel', 'campaign_id'])
          .where('workspace_id', '=', ws)
          .where('contact_id', 'in', ids.slice(i, i + 500))
          .where('sent_at', '>', since)
          .where('status', 'in', ACTIVE_HISTORY)
          .execute();
        for (const r of rows) addHistory(out, r.contact_id, Number(r.sent_at), r.channel, r.campaign_id);
      }
    }
    return out;
  }

  async markClaimed(
    db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    leaseUntil: number,
    now: number,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('touches')
        .set({
          status: 'claimed',
          claimed_by: workerId,
          lease_until: leaseUntil,
          sent_at: now,
          attempts: sql`attempts + 1`,
        })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async defer(db: Kysely<Database>, ids: readonly string[], dueAt: number, reason: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('touches')
        .set({ due_at: dueAt, deferrals: sql`deferrals + 1`, reason: `deferred:${reason}` })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async setStatus(
    db: Kysely<Database>,
    ids: readonly string[],
    status: string,
    reason: string,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('touches')
        .set({ status, reason, lease_until: null })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async insertTouches(db: Kysely<Database>, rows: readonly TouchInsert[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await db
        .insertInto('touches')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async insertEnrollments(db: Kysely<Database>, rows: readonly EnrollmentInsert[]): Promise<Set<string>> {
    const written = new Set<string>();
    for (let i = 0; i < rows.length; i += 400) {
      // RETURNING lists only the rows written (SQLite has it since 3.35), not those left out on a conflict.
      const out = await db
        .insertInto('enrollments')
        .values(rows.slice(i, i + 400))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      for (const r of out) written.add(r.id);
    }
    return written;
  }

  async priorEnrollments(
    db: Kysely<Database>,
    workspaceId: string,
    campaignId: string,
    contactIds: readonly string[],
  ): Promise<PriorEnrollment[]> {
    const out: PriorEnrollment[] = [];
    for (let i = 0; i < contactIds.length; i += 500) {
      const rows = await db
        .selectFrom('enrollments')
        .select(['contact_id', 'cycle', 'state', 'exited_at'])
        .where('workspace_id', '=', workspaceId)
        .where('campaign_id', '=', campaignId)
        .where('contact_id', 'in', contactIds.slice(i, i + 500))
        .execute();
      out.push(...rows);
    }
    return out;
  }

  async completeEnrollments(db: Kysely<Database>, ids: readonly string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('enrollments')
        .set({ state: 'completed', exit_reason: 'sequence_done', exited_at: now })
        .where('id', 'in', ids.slice(i, i + 500))
        .where('state', '=', 'active')
        .execute();
    }
  }

  async setMessageId(db: Kysely<Database>, id: string, messageId: string): Promise<void> {
    await db.updateTable('touches').set({ message_id: messageId }).where('id', '=', id).execute();
  }

  async retry(db: Kysely<Database>, id: string, dueAt: number, reason: string): Promise<void> {
    await db
      .updateTable('touches')
      .set({ status: 'planned', due_at: dueAt, lease_until: null, claimed_by: null, sent_at: null, reason })
      .where('id', '=', id)
      .execute();
  }

  async fail(db: Kysely<Database>, id: string, reason: string): Promise<void> {
    await db
      .updateTable('touches')
      .set({ status: 'failed', lease_until: null, sent_at: null, reason })
      .where('id', '=', id)
      .execute();
  }

  async markSent(db: Kysely<Database>, ids: readonly string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('touches')
        .set({ status: 'sent', lease_until: null, sent_at: now, reason: null })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async claimAndMarkSent(
    db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    now: number,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await db
        .updateTable('touches')
        .set({
          status: 'sent',
          claimed_by: workerId,
          lease_until: null,
          sent_at: now,
          attempts: sql`attempts + 1`,
          reason: null,
        })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  async insertEvents(db: Kysely<Database>, rows: readonly EventInsert[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      await db
        .insertInto('events')
        .values(rows.slice(i, i + 200))
        .execute();
    }
  }
}

function addHistory(
  out: Map<string, HistoryEntry[]>,
  contactId: string,
  at: number,
  channel: string,
  campaignId: string,
): void {
  const entry = { at, channel, campaignId };
  const list = out.get(contactId);
  if (list) list.push(entry);
  else out.set(contactId, [entry]);
}
