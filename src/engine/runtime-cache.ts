// Campaign runtimes and workspace settings, cached per worker and refreshed when a campaign's revision
// or status changes (checked once per batch with one small query).
import type { CampaignStatus } from '../domain/campaign.js';
import { workspaceSettings, type WorkspaceSettings } from '../domain/workspace-settings.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { buildRuntime, type CampaignRuntime } from './campaign-runtime.js';

export interface CampaignState {
  runtime: CampaignRuntime;
  status: CampaignStatus;
}

export class RuntimeCache {
  private readonly campaigns = new Map<string, CampaignState & { updatedAt: number }>();
  private readonly settings = new Map<string, WorkspaceSettings>();

  constructor(private readonly store: Store) {}

  async settingsOf(workspaceId: string, db: Kysely<Database> = this.store.db): Promise<WorkspaceSettings> {
    let s = this.settings.get(workspaceId);
    if (!s) {
      const ws = await new WorkspacesRepository({ ...this.store, db }).get(workspaceId);
      s = workspaceSettings(ws?.settings ?? {});
      this.settings.set(workspaceId, s);
    }
    return s;
  }

  /**
   * Loads (or refreshes) the campaigns named by `keys` (`workspace\u0000campaign`). Inside a transaction
   * pass its handle: SQLite has one connection, and a query outside the transaction would wait forever.
   */
  async load(
    keys: Iterable<string>,
    db: Kysely<Database> = this.store.db,
  ): Promise<Map<string, CampaignState>> {
    const out = new Map<string, CampaignState>();
    const repo = new CampaignsRepository({ db });
    for (const key of keys) {
      const [ws, id] = key.split('\u0000') as [string, string];
      const cached = this.campaigns.get(key);
      const head = await db
        .selectFrom('campaigns')
        .select(['status', 'updated_at', 'revision'])
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!head) continue;
      if (
        cached &&
        cached.updatedAt === Number(head.updated_at) &&
        cached.status === head.status &&
        cached.runtime.revision === Number(head.revision)
      ) {
        out.set(key, cached);
        continue;
      }
      const c = await repo.get(ws, id);
      if (!c) continue;
      const state = {
        runtime: buildRuntime(ws, c.spec, c.revision, await this.settingsOf(ws, db)),
        status: c.status,
        updatedAt: c.updatedAt,
      };
      this.campaigns.set(key, state);
      out.set(key, state);
    }
    return out;
  }

  invalidateSettings(workspaceId: string): void {
    this.settings.delete(workspaceId);
  }
}

export const campaignKey = (workspaceId: string, campaignId: string): string =>
  `${workspaceId}\u0000${campaignId}`;
