// Records of CSV imports started over HTTP: created `running`, their progress written while the serve
// process reads the file, then `done` with the counts or `failed` with the reason. Workspace-scoped.
//
// A process that dies mid-import leaves its row `running`; `heartbeat_at` (wall time, refreshed while the
// import runs) tells: a running import not heard from for STALE_AFTER_MS is marked failed when it is read.
import type { Kysely, Selectable } from 'kysely';
import { checkLimit, decodeCursor, toPage, type Page, type PageRequest } from './cursor.js';
import { fromJson, toJson } from './json.js';
import type { Database, ImportsTable } from './schema.js';

export type ImportKind = 'contacts' | 'accounts';
export type ImportStatus = 'running' | 'done' | 'failed';

/** How long a running import may go without a heartbeat before it counts as dead. */
export const STALE_AFTER_MS = 60_000;
export const STALE_ERROR =
  'the serve process running this import stopped before it finished; upload the file again';

export interface ImportRejectedRow {
  line: number;
  column: string;
  reason: string;
}

export interface ImportRecordResult {
  /** False when invalid rows made the whole file roll back (without skip_invalid). */
  committed: boolean;
  rows: number;
  inserted: number;
  updated: number;
  rejected: number;
  linked_contacts: number | null;
  /** The first problems in file order (rejected_total counts them all). */
  rejected_rows: ImportRejectedRow[];
  rejected_total: number;
  seconds: number;
}

export interface ImportRecord {
  id: string;
  kind: ImportKind;
  status: ImportStatus;
  skip_invalid: boolean;
  bytes_read: number;
  total_bytes: number;
  rows: number;
  result: ImportRecordResult | null;
  error: string | null;
  created_by: string | null;
  created_at: number;
  finished_at: number | null;
}

type Db = Kysely<Database>;

function toRecord(r: Selectable<ImportsTable>): ImportRecord {
  return {
    id: r.id,
    kind: r.kind as ImportKind,
    status: r.status as ImportStatus,
    skip_invalid: Number(r.skip_invalid) === 1,
    bytes_read: Number(r.bytes_read),
    total_bytes: Number(r.total_bytes),
    rows: Number(r.rows),
    result: r.result === null ? null : fromJson<ImportRecordResult | null>(r.result, null),
    error: r.error,
    created_by: r.created_by,
    created_at: Number(r.created_at),
    finished_at: r.finished_at === null ? null : Number(r.finished_at),
  };
}

/** What a rejected row's reason becomes once the person it quoted is erased. */
export const ERASED_REASON = 'removed: it named a person who has since been erased';

export class ImportsRepository {
  constructor(private readonly store: { db: Db }) {}

  async create(input: {
    id: string;
    workspaceId: string;
    kind: ImportKind;
    skipInvalid: boolean;
    totalBytes: number;
    createdBy: string | null;
    now: number;
    wallNow: number;
  }): Promise<ImportRecord> {
    const row = await this.store.db
      .insertInto('imports')
      .values({
        id: input.id,
        workspace_id: input.workspaceId,
        kind: input.kind,
        status: 'running',
        skip_invalid: input.skipInvalid ? 1 : 0,
        bytes_read: 0,
        total_bytes: input.totalBytes,
        rows: 0,
        result: null,
        error: null,
        created_by: input.createdBy,
        created_at: input.now,
        finished_at: null,
        heartbeat_at: input.wallNow,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** Progress and heartbeat of a running import (no-op once it finished). */
  async progress(
    workspaceId: string,
    id: string,
    p: { bytesRead: number; totalBytes: number; rows: number },
    wallNow: number,
  ): Promise<void> {
    await this.store.db
      .updateTable('imports')
      .set({ bytes_read: p.bytesRead, total_bytes: p.totalBytes, rows: p.rows, heartbeat_at: wallNow })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async finish(
    workspaceId: string,
    id: string,
    outcome: { result: ImportRecordResult; bytes: number } | { error: string },
    now: number,
    wallNow: number,
  ): Promise<void> {
    const set =
      'result' in outcome
        ? {
            status: 'done',
            result: toJson(outcome.result),
            rows: outcome.result.rows,
            bytes_read: outcome.bytes,
          }
        : { status: 'failed', error: outcome.error };
    await this.store.db
      .updateTable('imports')
      .set({ ...set, finished_at: now, heartbeat_at: wallNow })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
  }

  /**
   * Erasure: the rejected-row reasons of this workspace's import reports quote values from the file (an
   * email, an external id); each reason naming one of `values` (compared without letter case) is replaced.
   * Returns how many reports changed.
   */
  async forgetValues(workspaceId: string, values: string[]): Promise<number> {
    const needles = values.filter((v) => v.length > 0).map((v) => v.toLowerCase());
    if (needles.length === 0) return 0;
    const rows = await this.store.db
      .selectFrom('imports')
      .select(['id', 'result'])
      .where('workspace_id', '=', workspaceId)
      .where('result', 'is not', null)
      .execute();
    let changed = 0;
    for (const row of rows) {
      const result = fromJson<ImportRecordResult | null>(row.result, null);
      if (!result) continue;
      let hit = false;
      const rejected = result.rejected_rows.map((r) => {
        const reason = r.reason.toLowerCase();
        if (!needles.some((n) => reason.includes(n))) return r;
        hit = true;
        return { ...r, reason: ERASED_REASON };
      });
      if (!hit) continue;
      await this.store.db
        .updateTable('imports')
        .set({ result: toJson({ ...result, rejected_rows: rejected }) })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', row.id)
        .execute();
      changed++;
    }
    return changed;
  }

  /** Marks running imports not heard from since `wallNow - STALE_AFTER_MS` failed (`keep`: ids known alive). */
  async failStale(
    workspaceId: string,
    now: number,
    wallNow: number,
    keep: readonly string[] = [],
  ): Promise<void> {
    // Read first: an UPDATE would wait for the write lock a SQLite import holds, even with nothing to mark.
    let stale = this.store.db
      .selectFrom('imports')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', wallNow - STALE_AFTER_MS);
    if (keep.length > 0) stale = stale.where('id', 'not in', keep);
    if ((await stale.execute()).length === 0) return;
    let q = this.store.db
      .updateTable('imports')
      .set({ status: 'failed', error: STALE_ERROR, finished_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', wallNow - STALE_AFTER_MS);
    if (keep.length > 0) q = q.where('id', 'not in', keep);
    await q.execute();
  }

  async get(workspaceId: string, id: string): Promise<ImportRecord | undefined> {
    const row = await this.store.db
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Newest first. */
  async list(workspaceId: string, page: PageRequest): Promise<Page<ImportRecord>> {
    const limit = checkLimit(page.limit);
    let q = this.store.db
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (page.cursor) q = q.where('id', '<', decodeCursor(page.cursor));
    return toPage((await q.execute()).map(toRecord), limit);
  }
}
