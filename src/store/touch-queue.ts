// The touch queue's reads and writes for enrollment and dispatch, behind one interface with two
// implementations: Kysely (both dialects; PostgreSQL claims with FOR UPDATE SKIP LOCKED) and raw
// better-sqlite3 prepared statements for SQLite's hot path (docs/decisions/0020-sqlite-dispatch-fast-path.md).
// Both run inside the caller's Kysely transaction: on SQLite that transaction holds the single connection,
// and the raw statements run synchronously on that same connection, so they belong to it.
import type { Insertable, Kysely } from 'kysely';
import type { Store } from './db.js';
import type { Database } from './schema.js';
import { KyselyTouchQueue } from './touch-queue.kysely.js';
import { sqliteQueue } from './touch-queue.sqlite.js';

export type TouchRow = Database['touches'];
export type TouchInsert = Insertable<Database['touches']>;
export type EventInsert = Insertable<Database['events']>;
export type EnrollmentInsert = Insertable<Database['enrollments']>;

export type ContactRow = Pick<
  Database['contacts'],
  | 'id'
  | 'email'
  | 'phone'
  | 'first_name'
  | 'last_name'
  | 'time_zone'
  | 'account_id'
  | 'subscription_status'
  | 'sms_consent'
> & {
  attributes: unknown;
  /** The address or its domain is on the workspace's suppression list: no touch on any channel. */
  suppressed: boolean;
};

export interface EnrollmentState {
  id: string;
  state: string;
  variants: Record<string, string>;
  account_id: string | null;
}

export interface HistoryEntry {
  at: number;
  channel: string;
  campaignId: string;
}

export interface PriorEnrollment {
  contact_id: string;
  cycle: number;
  state: string;
  exited_at: number | null;
}

/**
 * Every method takes the transaction (or the store's Kysely handle) it runs in. The SQLite queue must be
 * called inside a Kysely transaction: that is what keeps other callers off the connection meanwhile.
 */
export interface TouchQueue {
  /** Claimed touches whose lease ran out go back to `planned`. */
  reclaimExpired(db: Kysely<Database>, now: number): Promise<number>;
  /** Due `planned` touches, earliest first and higher priority first at one instant (locked on PostgreSQL). */
  claimDue(db: Kysely<Database>, now: number, limit: number): Promise<TouchRow[]>;
  /**
   * The contacts, locked in id order on PostgreSQL (`ids` sorted), each with whether the suppression list
   * holds its address (lower-cased) or the address's domain: one index probe per contact, in the same read.
   */
  lockContacts(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ContactRow>>;
  loadEnrollments(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, EnrollmentState>>;
  /**
   * Touches of these contacts (per workspace) sent or claimed after `since`: what counts toward caps. Scoped
   * by workspace so the (workspace_id, contact_id, sent_at) index answers it.
   */
  loadHistory(
    db: Kysely<Database>,
    contactsByWorkspace: ReadonlyMap<string, ReadonlySet<string>>,
    since: number,
  ): Promise<Map<string, HistoryEntry[]>>;
  markClaimed(
    db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    leaseUntil: number,
    now: number,
  ): Promise<void>;
  defer(db: Kysely<Database>, ids: readonly string[], dueAt: number, reason: string): Promise<void>;
  setStatus(db: Kysely<Database>, ids: readonly string[], status: string, reason: string): Promise<void>;
  /** New touches; one that already exists for its (enrollment, step) is left as it is. */
  insertTouches(db: Kysely<Database>, rows: readonly TouchInsert[]): Promise<void>;
  /**
   * New enrollments; one that already exists for its (campaign, contact, cycle) is left as it is. Returns the
   * ids of the rows written: a row left out (another worker enrolled the contact first) is not among them.
   */
  insertEnrollments(db: Kysely<Database>, rows: readonly EnrollmentInsert[]): Promise<Set<string>>;
  priorEnrollments(
    db: Kysely<Database>,
    workspaceId: string,
    campaignId: string,
    contactIds: readonly string[],
  ): Promise<PriorEnrollment[]>;
  completeEnrollments(db: Kysely<Database>, ids: readonly string[], now: number): Promise<void>;
  setMessageId(db: Kysely<Database>, id: string, messageId: string): Promise<void>;
  retry(db: Kysely<Database>, id: string, dueAt: number, reason: string): Promise<void>;
  fail(db: Kysely<Database>, id: string, reason: string): Promise<void>;
  /** Claimed touches recorded as sent; `sent_at` is the claim time `now`, which the claim already wrote. */
  markSent(db: Kysely<Database>, ids: readonly string[], now: number): Promise<void>;
  /**
   * Planned touches recorded as sent in the transaction that claims them: the row a claim followed by
   * `markSent` leaves (claimed by `workerId`, one more attempt, sent at `now`), in one update.
   */
  claimAndMarkSent(
    db: Kysely<Database>,
    ids: readonly string[],
    workerId: string,
    now: number,
  ): Promise<void>;
  insertEvents(db: Kysely<Database>, rows: readonly EventInsert[]): Promise<void>;
}

/** The raw SQLite queue when the store has a better-sqlite3 handle (unless `kysely` is asked for). */
export function touchQueueFor(store: Pick<Store, 'sqlite' | 'dialect'>, kysely = false): TouchQueue {
  if (store.sqlite && !kysely) return sqliteQueue(store.sqlite);
  return new KyselyTouchQueue(store.dialect === 'postgres');
}
