// The audit trail: who did what to which target, when, with details. Append-only: this module has no
// update or delete path, and a trigger refuses UPDATE and DELETE on `audit_log` on both dialects.
import { sql, type Kysely } from 'kysely';
import { BatonError } from '../domain/errors.js';
import type { Role } from '../domain/roles.js';
import { checkLimit, decodeCursor, encodeCursor, type Page } from './cursor.js';
import type { Store } from './db.js';
import { fromJson, toJson } from './json.js';
import type { Database } from './schema.js';

/**
 * Who acted: a signed-in user, an API key, Baton itself (the worker, a CLI operator), or nobody known yet
 * (a failed sign-in).
 */
export interface AuditActor {
  type: 'user' | 'key' | 'system' | 'anonymous';
  id: string | null;
  role?: Role | null;
}

/**
 * The workspace id of entries that belong to the installation rather than a workspace: failed sign-ins of
 * an email no user has, when the request names no existing workspace. No workspace has this id (theirs
 * start with `ws_`), so no workspace admin reads these; the operator does, with
 * `AuditRepository.list(INSTANCE_AUDIT_WORKSPACE, …)` or SQL.
 */
export const INSTANCE_AUDIT_WORKSPACE = '_instance';

export interface AuditEntry {
  workspaceId: string;
  /** The clock's instant (epoch ms). */
  at: number;
  actor: AuditActor;
  /** Dotted verb: `campaign.launch`, `campaign.update`, `api_key.create`, `user.sign_in_failed`, … */
  action: string;
  target?: { type: string; id: string } | null;
  /** Client address, when the action came over HTTP. */
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'target' | 'details' | 'ip'>> {
  seq: number;
  target: { type: string; id: string } | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  /** A user or key id. */
  actor?: string;
  /** An exact action, or a prefix ending in `.` (`campaign.`). */
  action?: string;
  /** A target id. */
  target?: string;
  /** Entries at or after this instant. */
  since?: number;
  limit: number;
  cursor?: string;
}

type Db = Store | Kysely<Database>;
const dbOf = (s: Db): Kysely<Database> => ('db' in s && 'dialect' in s ? s.db : (s as Kysely<Database>));

/**
 * Appends one entry. Pass a transaction to make the entry part of the change it records (it then
 * commits or rolls back with it).
 */
export async function recordAudit(store: Db, entry: AuditEntry): Promise<void> {
  await dbOf(store)
    .insertInto('audit_log')
    .values({
      workspace_id: entry.workspaceId,
      at: entry.at,
      actor_type: entry.actor.type,
      actor_id: entry.actor.id,
      actor_role: entry.actor.role ?? null,
      action: entry.action,
      target_type: entry.target?.type ?? null,
      target_id: entry.target?.id ?? null,
      ip: entry.ip ?? null,
      details: toJson(entry.details ?? {}),
    })
    .execute();
}

export class AuditRepository {
  constructor(private readonly store: Store) {}

  /** Entries newest first, filtered; the cursor continues below the last entry of the previous page. */
  async list(workspaceId: string, filter: AuditFilter): Promise<Page<AuditRecord>> {
    const limit = checkLimit(filter.limit);
    let q = this.store.db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
    if (filter.actor) q = q.where('actor_id', '=', filter.actor);
    if (filter.action) {
      q = filter.action.endsWith('.')
        ? q.where(sql<string>`substr(action, 1, ${filter.action.length})`, '=', filter.action)
        : q.where('action', '=', filter.action);
    }
    if (filter.target) q = q.where('target_id', '=', filter.target);
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
    if (filter.cursor) {
      const after = Number(decodeCursor(filter.cursor));
      if (!Number.isSafeInteger(after)) {
        throw BatonError.invalid([
          { path: 'cursor', message: 'is not a cursor returned by a previous page' },
        ]);
      }
      q = q.where('seq', '<', after);
    }
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const data = rows.slice(0, limit).map((r): AuditRecord => ({
      seq: Number(r.seq),
      workspaceId: r.workspace_id,
      at: Number(r.at),
      actor: {
        type: r.actor_type as AuditActor['type'],
        id: r.actor_id,
        role: (r.actor_role as Role | null) ?? null,
      },
      action: r.action,
      target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
      ip: r.ip,
      details: fromJson(r.details, {}),
    }));
    const last = data[data.length - 1];
    return { data, next_cursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null };
  }
}
