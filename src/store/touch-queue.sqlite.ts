// The touch queue as better-sqlite3 statements prepared once per connection (decision 0020). Every method runs
// inside the caller's Kysely transaction, which holds SQLite's one connection. `touch-queue.ts` has the interface.
import type { Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
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

const TOUCH_COLUMNS = [
  'id',
  'workspace_id',
  'enrollment_id',
  'campaign_id',
  'contact_id',
  'step_id',
  'step_index',
  'channel',
  'variant_id',
  'priority',
  'status',
  'due_at',
  'lease_until',
  'claimed_by',
  'attempts',
  'deferrals',
  'planned_at',
  'sent_at',
  'reason',
  'message_id',
  'details',
] as const;

const EVENT_COLUMNS = [
  'id',
  'workspace_id',
  'message_id',
  'type',
  'contact_id',
  'account_id',
  'anonymous_id',
  'occurred_at',
  'received_at',
  'properties',
  'campaign_id',
  'touch_id',
  'step_id',
  'variant_id',
  'channel',
] as const;

const ENROLLMENT_COLUMNS = [
  'id',
  'workspace_id',
  'campaign_id',
  'contact_id',
  'account_id',
  'cycle',
  'arm',
  'variants',
  'state',
  'exit_reason',
  'enrolled_at',
  'exited_at',
] as const;

const insertSql = (table: string, columns: readonly string[], conflict: boolean): string =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})` +
  (conflict ? ' ON CONFLICT DO NOTHING' : '');

/** A JSON array parameter, expanded by `json_each` into the rows of an IN list: one statement for any size. */
const IN_LIST = '(SELECT value FROM json_each(?))';

// Statements are prepared once per connection: better-sqlite3 keeps them compiled, and the hot loop only
// binds values. Keyed weakly so a closed store lets its statements go.
const queues = new WeakMap<SQLite.Database, SqliteTouchQueue>();

export function sqliteQueue(db: SQLite.Database): SqliteTouchQueue {
  let q = queues.get(db);
  if (!q) queues.set(db, (q = new SqliteTouchQueue(db)));
  return q;
}

/**
 * The same reads and writes as `KyselyTouchQueue`, as prepared statements run row by row (no multi-row SQL
 * to compile per batch). The `db` argument is only the transaction these run in; the statements use the
 * store's one connection, which that transaction holds.
 */
export class SqliteTouchQueue implements TouchQueue {
  private readonly s: Record<
    | 'reclaim'
    | 'claim'
    | 'contacts'
    | 'enrollments'
    | 'history'
    | 'claimed'
    | 'defer'
    | 'status'
    | 'touch'
    | 'enrollment'
    | 'prior'
    | 'complete'
    | 'messageId'
    | 'retry'
    | 'fail'
    | 'sent'
    | 'claimSent'
    | 'event',
    SQLite.Statement
  >;

  constructor(db: SQLite.Database) {
    this.s = {
      reclaim: db.prepare(
        `UPDATE touches SET status = 'planned', lease_until = NULL, claimed_by = NULL, sent_at = NULL
         WHERE status = 'claimed' AND lease_until < ?`,
      ),
      // Served in order by the (status, due_at, priority desc) index: no sort of a mass launch's touches.
      // The reads of the hot path return arrays (`raw`), turned into objects of one fixed shape below:
      // better-sqlite3 builds a row object by setting each column as a named property, which cost more than
      // the SQLite work of the claim itself.
      claim: db
        .prepare(
          `SELECT ${TOUCH_COLUMNS.join(', ')} FROM touches WHERE status = 'planned' AND due_at <= ?
           ORDER BY due_at, priority DESC LIMIT ?`,
        )
        .raw(true),
      contacts: db
        .prepare(
          `SELECT id, email, phone, first_name, last_name, time_zone, account_id, subscription_status,
             sms_consent, attributes,
             EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = contacts.workspace_id
               AND s.value IN (lower(contacts.email), substr(lower(contacts.email), instr(contacts.email, '@') + 1)))
           FROM contacts WHERE id IN ${IN_LIST}`,
        )
        .raw(true),
      enrollments: db
        .prepare(`SELECT id, state, variants, account_id FROM enrollments WHERE id IN ${IN_LIST}`)
        .raw(true),
      history: db
        .prepare(
          `SELECT contact_id, sent_at, channel, campaign_id FROM touches
           WHERE workspace_id = ? AND contact_id IN ${IN_LIST} AND sent_at > ? AND status IN ('sent', 'claimed')`,
        )
        .raw(true),
      claimed: db.prepare(
        `UPDATE touches SET status = 'claimed', claimed_by = ?, lease_until = ?, sent_at = ?,
           attempts = attempts + 1 WHERE id = ?`,
      ),
      defer: db.prepare('UPDATE touches SET due_at = ?, deferrals = deferrals + 1, reason = ? WHERE id = ?'),
      status: db.prepare('UPDATE touches SET status = ?, reason = ?, lease_until = NULL WHERE id = ?'),
      touch: db.prepare(insertSql('touches', TOUCH_COLUMNS, true)),
      enrollment: db.prepare(insertSql('enrollments', ENROLLMENT_COLUMNS, true)),
      prior: db.prepare(
        `SELECT contact_id, cycle, state, exited_at FROM enrollments
         WHERE workspace_id = ? AND campaign_id = ? AND contact_id IN ${IN_LIST}`,
      ),
      complete: db.prepare(
        `UPDATE enrollments SET state = 'completed', exit_reason = 'sequence_done', exited_at = ?
         WHERE id = ? AND state = 'active'`,
      ),
      messageId: db.prepare('UPDATE touches SET message_id = ? WHERE id = ?'),
      retry: db.prepare(
        `UPDATE touches SET status = 'planned', due_at = ?, lease_until = NULL, claimed_by = NULL,
           sent_at = NULL, reason = ? WHERE id = ?`,
      ),
      fail: db.prepare(
        `UPDATE touches SET status = 'failed', lease_until = NULL, sent_at = NULL, reason = ? WHERE id = ?`,
      ),
      // sent_at is not set again: the claim wrote the same `now`, and leaving the column out of the SET list
      // spares SQLite rewriting the (workspace_id, contact_id, sent_at) index entry of every touch.
      sent: db.prepare(`UPDATE touches SET status = 'sent', lease_until = NULL, reason = NULL WHERE id = ?`),
      claimSent: db.prepare(
        `UPDATE touches SET status = 'sent', claimed_by = ?, lease_until = NULL, sent_at = ?,
           attempts = attempts + 1, reason = NULL WHERE id = ?`,
      ),
      event: db.prepare(insertSql('events', EVENT_COLUMNS, false)),
    };
  }

  async reclaimExpired(_db: Kysely<Database>, now: number): Promise<number> {
    return this.s.reclaim.run(now).changes;
  }

  async claimDue(_db: Kysely<Database>, now: number, limit: number): Promise<TouchRow[]> {
    return (this.s.claim.all(now, limit) as unknown[][]).map(touchRow);
  }

  async lockContacts(_db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ContactRow>> {
    const out = new Map<string, ContactRow>();
    for (const r of this.s.contacts.all(JSON.stringify(ids)) as unknown[][]) {
      const row: ContactRow = {
        id: r[0] as string,
        email: r[1] as string | null,
        phone: r[2] as string | null,
        first_name: r[3] as string | null,
        last_name: r[4] as string | null,
        time_zone: r[5] as string | null,
        account_id: r[6] as string | null,
        subscription_status: r[7] as string,
        sms_consent: r[8] as number,
        attributes: r[9],
        suppressed: r[10] === 1,
      };
      out.set(row.id, row);
    }
    return out;
  }

  async loadEnrollments(
    _db: Kysely<Database>,
    ids: readonly string[],
  ): Promise<Map<string, EnrollmentState>> {
    const out = new Map<string, EnrollmentState>();
    const rows = this.s.enrollments.all(JSON.stringify(ids)) as Array<
      [string, string, string, string | null]
    >;
    for (const [id, state, variants, accountId] of rows) {
      out.set(id, {
        id,
        state,
        // Most enrollments have no experiment variants: skip the parse for the empty object.
        variants: variants === '{}' ? {} : fromJson<Record<string, string>>(variants, {}),
        account_id: accountId,
      });
    }
    return out;
  }

  async loadHistory(
    _db: Kysely<Database>,
    contactsByWorkspace: ReadonlyMap<string, ReadonlySet<string>>,
    since: number,
  ): Promise<Map<string, HistoryEntry[]>> {
    const out = new Map<string, HistoryEntry[]>();
    for (const [ws, set] of contactsByWorkspace) {
      const rows = this.s.history.all(ws, JSON.stringify([...set]), since) as Array<
        [string, number, string, string]
      >;
      for (const r of rows) addHistory(out, r[0], r[1], r[2], r[3]);
    }
    return out;
  }

  async markClaimed(
    _db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    leaseUntil: number,
    now: number,
  ): Promise<void> {
    for (const id of ids) this.s.claimed.run(workerId, leaseUntil, now, id);
  }

  async defer(_db: Kysely<Database>, ids: readonly string[], dueAt: number, reason: string): Promise<void> {
    const text = `deferred:${reason}`;
    for (const id of ids) this.s.defer.run(dueAt, text, id);
  }

  async setStatus(
    _db: Kysely<Database>,
    ids: readonly string[],
    status: string,
    reason: string,
  ): Promise<void> {
    for (const id of ids) this.s.status.run(status, reason, id);
  }

  async insertTouches(_db: Kysely<Database>, rows: readonly TouchInsert[]): Promise<void> {
    for (const r of rows) {
      this.s.touch.run(
        r.id,
        r.workspace_id,
        r.enrollment_id,
        r.campaign_id,
        r.contact_id,
        r.step_id,
        r.step_index,
        r.channel,
        r.variant_id ?? null,
        r.priority ?? 50,
        r.status,
        r.due_at,
        r.lease_until ?? null,
        r.claimed_by ?? null,
        r.attempts ?? 0,
        r.deferrals ?? 0,
        r.planned_at,
        r.sent_at ?? null,
        r.reason ?? null,
        r.message_id ?? null,
        r.details ?? '{}',
      );
    }
  }

  async insertEnrollments(_db: Kysely<Database>, rows: readonly EnrollmentInsert[]): Promise<Set<string>> {
    const written = new Set<string>();
    for (const r of rows) {
      // No change when the row was left out on a conflict (trigger writes are not counted in `changes`).
      const { changes } = this.s.enrollment.run(
        r.id,
        r.workspace_id,
        r.campaign_id,
        r.contact_id,
        r.account_id ?? null,
        r.cycle,
        r.arm,
        r.variants,
        r.state,
        r.exit_reason ?? null,
        r.enrolled_at,
        r.exited_at ?? null,
      );
      if (changes > 0) written.add(r.id);
    }
    return written;
  }

  async priorEnrollments(
    _db: Kysely<Database>,
    workspaceId: string,
    campaignId: string,
    contactIds: readonly string[],
  ): Promise<PriorEnrollment[]> {
    return this.s.prior.all(workspaceId, campaignId, JSON.stringify(contactIds)) as PriorEnrollment[];
  }

  async completeEnrollments(_db: Kysely<Database>, ids: readonly string[], now: number): Promise<void> {
    for (const id of ids) this.s.complete.run(now, id);
  }

  async setMessageId(_db: Kysely<Database>, id: string, messageId: string): Promise<void> {
    this.s.messageId.run(messageId, id);
  }

  async retry(_db: Kysely<Database>, id: string, dueAt: number, reason: string): Promise<void> {
    this.s.retry.run(dueAt, reason, id);
  }

  async fail(_db: Kysely<Database>, id: string, reason: string): Promise<void> {
    this.s.fail.run(reason, id);
  }

  async markSent(_db: Kysely<Database>, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.s.sent.run(id);
  }

  async claimAndMarkSent(
    _db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    now: number,
  ): Promise<void> {
    for (const id of ids) this.s.claimSent.run(workerId, now, id);
  }

  async insertEvents(_db: Kysely<Database>, rows: readonly EventInsert[]): Promise<void> {
    for (const r of rows) {
      this.s.event.run(
        r.id,
        r.workspace_id,
        r.message_id ?? null,
        r.type,
        r.contact_id ?? null,
        r.account_id ?? null,
        r.anonymous_id ?? null,
        r.occurred_at,
        r.received_at,
        r.properties ?? '{}',
        r.campaign_id ?? null,
        r.touch_id ?? null,
        r.step_id ?? null,
        r.variant_id ?? null,
        r.channel ?? null,
      );
    }
  }
}

/** A claimed row, from the claim's columns in `TOUCH_COLUMNS` order. */
function touchRow(r: unknown[]): TouchRow {
  return {
    id: r[0] as string,
    workspace_id: r[1] as string,
    enrollment_id: r[2] as string,
    campaign_id: r[3] as string,
    contact_id: r[4] as string,
    step_id: r[5] as string,
    step_index: r[6] as number,
    channel: r[7] as string,
    variant_id: r[8] as string | null,
    priority: r[9] as number,
    status: r[10] as string,
    due_at: r[11] as number,
    lease_until: r[12] as number | null,
    claimed_by: r[13] as string | null,
    attempts: r[14] as number,
    deferrals: r[15] as number,
    planned_at: r[16] as number,
    sent_at: r[17] as number | null,
    reason: r[18] as string | null,
    message_id: r[19] as string | null,
    details: r[20] as TouchRow['details'],
  };
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
