// Ads audience pushes: the HTTPS endpoint each audience's delta is POSTed to (one per audience, with the
// format sent), claimed by one worker at a time at most every interval, and the outcome of the last push.
import type { ExportFormat } from '../channels/ads/identifiers.js';
import { BatonError } from '../domain/errors.js';
import type { Store } from './db.js';

declare module './schema.js' {
  interface Database {
    ads_audience_pushes: AdsAudiencePushesTable;
  }
}

export interface AdsAudiencePushesTable {
  workspace_id: string;
  audience_id: string;
  url: string;
  /** google | meta */
  format: string;
  created_at: number;
  updated_at: number;
  /** When a worker last claimed it (looked for changes, and pushed them if any). */
  checked_at: number | null;
  /** The last push the endpoint accepted (2xx). */
  last_push_at: number | null;
  /** Why the last attempt failed; null once a push succeeds. */
  last_push_error: string | null;
}

export interface AudiencePush {
  workspaceId: string;
  audienceId: string;
  url: string;
  format: ExportFormat;
  createdAt: number;
  updatedAt: number;
  checkedAt: number | null;
  lastPushAt: number | null;
  lastPushError: string | null;
}

function toPush(r: AdsAudiencePushesTable): AudiencePush {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    workspaceId: r.workspace_id,
    audienceId: r.audience_id,
    url: r.url,
    format: r.format as ExportFormat,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    checkedAt: n(r.checked_at),
    lastPushAt: n(r.last_push_at),
    lastPushError: r.last_push_error,
  };
}

export class AudiencePushesRepository {
  constructor(private readonly store: Store) {}

  /** Sets where an audience is pushed; a changed target is looked at by the next tick. */
  async put(
    workspaceId: string,
    audienceId: string,
    target: { url: string; format: ExportFormat },
    now: number,
  ): Promise<AudiencePush> {
    await this.store.db
      .insertInto('ads_audience_pushes')
      .values({
        workspace_id: workspaceId,
        audience_id: audienceId,
        url: target.url,
        format: target.format,
        created_at: now,
        updated_at: now,
        checked_at: null,
        last_push_at: null,
        last_push_error: null,
      })
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'audience_id']).doUpdateSet({
          url: target.url,
          format: target.format,
          updated_at: now,
          checked_at: null,
          last_push_error: null,
        }),
      )
      .execute();
    return (await this.find(workspaceId, audienceId))!;
  }

  async find(workspaceId: string, audienceId: string): Promise<AudiencePush | null> {
    const row = await this.store.db
      .selectFrom('ads_audience_pushes')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('audience_id', '=', audienceId)
      .executeTakeFirst();
    return row ? toPush(row) : null;
  }

  async list(workspaceId: string): Promise<AudiencePush[]> {
    const rows = await this.store.db
      .selectFrom('ads_audience_pushes')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .execute();
    return rows.map(toPush);
  }

  /** Stops pushing an audience; throws not_found when it was not pushed. */
  async delete(workspaceId: string, audienceId: string): Promise<void> {
    const res = await this.store.db
      .deleteFrom('ads_audience_pushes')
      .where('workspace_id', '=', workspaceId)
      .where('audience_id', '=', audienceId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw BatonError.notFound('audience push', audienceId);
  }

  /** Pushes not checked within `everyMs` before `now` (every workspace), oldest check first. */
  async due(now: number, everyMs: number): Promise<AudiencePush[]> {
    const rows = await this.store.db
      .selectFrom('ads_audience_pushes')
      .selectAll()
      .where((eb) => eb.or([eb('checked_at', 'is', null), eb('checked_at', '<=', now - everyMs)]))
      .orderBy('checked_at')
      .execute();
    return rows.map(toPush);
  }

  /**
   * Claims a due push for `now` with a conditional update: of two workers that saw it due, one wins and the
   * other leaves it.
   */
  async claim(push: AudiencePush, now: number): Promise<boolean> {
    const res = await this.store.db
      .updateTable('ads_audience_pushes')
      .set({ checked_at: now })
      .where('workspace_id', '=', push.workspaceId)
      .where('audience_id', '=', push.audienceId)
      .where((eb) =>
        push.checkedAt === null ? eb('checked_at', 'is', null) : eb('checked_at', '=', push.checkedAt),
      )
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The outcome of a push: a success clears the last error, a failure keeps the last success's time. */
  async finish(
    push: AudiencePush,
    outcome: { ok: true; at: number } | { ok: false; error: string },
  ): Promise<void> {
    await this.store.db
      .updateTable('ads_audience_pushes')
      .set(
        outcome.ok
          ? { last_push_at: outcome.at, last_push_error: null }
          : { last_push_error: outcome.error.slice(0, 500) },
      )
      .where('workspace_id', '=', push.workspaceId)
      .where('audience_id', '=', push.audienceId)
      .execute();
  }
}
