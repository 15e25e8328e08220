// Campaigns and their revisions. Every method takes the workspace id; specs are stored as parsed JSON.
import type { Kysely } from 'kysely';
import type { CampaignSpec, CampaignStatus } from '../domain/campaign.js';
import type { DiffEntry } from '../domain/campaign-diff.js';
import type { Database } from './schema.js';
import { fromJson, toJson } from './json.js';

/** The measurement plan as frozen at launch: what the report judges the campaign against. */
export interface FrozenPlan {
  goal: CampaignSpec['goal'] | null;
  measurement: CampaignSpec['measurement'] | null;
  window: CampaignSpec['window'] | null;
  audience: CampaignSpec['audience'] | null;
}

export interface Campaign {
  workspaceId: string;
  id: string;
  name: string;
  kind: CampaignSpec['kind'];
  status: CampaignStatus;
  spec: CampaignSpec;
  revision: number;
  frozenPlan: FrozenPlan | null;
  frozenHash: string | null;
  launchedAt: number | null;
  endedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface CampaignRevision {
  campaignId: string;
  revision: number;
  spec: CampaignSpec;
  diff: DiffEntry[];
  author: string | null;
  createdAt: number;
}

type CampaignRow = Database['campaigns'] extends infer T ? { [K in keyof T]: unknown } : never;

export class CampaignsRepository {
  /** Takes a store or, inside a transaction, `{ db: trx }`. */
  constructor(private readonly store: { db: Kysely<Database> }) {}

  async get(workspaceId: string, id: string): Promise<Campaign | undefined> {
    const row = await this.store.db
      .selectFrom('campaigns')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toCampaign(row);
  }

  async list(workspaceId: string, filter: { statuses?: CampaignStatus[] } = {}): Promise<Campaign[]> {
    let q = this.store.db.selectFrom('campaigns').selectAll().where('workspace_id', '=', workspaceId);
    if (filter.statuses) {
      if (filter.statuses.length === 0) return [];
      q = q.where('status', 'in', filter.statuses);
    }
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(toCampaign);
  }

  async insert(workspaceId: string, spec: CampaignSpec, now: number): Promise<void> {
    await this.store.db
      .insertInto('campaigns')
      .values({
        workspace_id: workspaceId,
        id: spec.id,
        name: spec.name,
        kind: spec.kind,
        status: 'draft',
        spec: toJson(spec),
        revision: 1,
        frozen_plan: null,
        frozen_hash: null,
        launched_at: null,
        ended_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  /** Writes a new spec if the row is still at `expectedRevision`; false when someone else wrote first. */
  async updateSpec(
    workspaceId: string,
    spec: CampaignSpec,
    expectedRevision: number,
    now: number,
  ): Promise<boolean> {
    const r = await this.store.db
      .updateTable('campaigns')
      .set({
        name: spec.name,
        kind: spec.kind,
        spec: toJson(spec),
        revision: expectedRevision + 1,
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', spec.id)
      .where('revision', '=', expectedRevision)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Moves the status if it is still `from`; false when another process moved it first. */
  async setStatus(
    workspaceId: string,
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    now: number,
    extra: { frozenPlan?: FrozenPlan; frozenHash?: string; launchedAt?: number; endedAt?: number } = {},
  ): Promise<boolean> {
    const r = await this.store.db
      .updateTable('campaigns')
      .set({
        status: to,
        updated_at: now,
        ...(extra.frozenPlan !== undefined ? { frozen_plan: toJson(extra.frozenPlan) } : {}),
        ...(extra.frozenHash !== undefined ? { frozen_hash: extra.frozenHash } : {}),
        ...(extra.launchedAt !== undefined ? { launched_at: extra.launchedAt } : {}),
        ...(extra.endedAt !== undefined ? { ended_at: extra.endedAt } : {}),
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.store.db
      .deleteFrom('campaign_revisions')
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', id)
      .execute();
    await this.store.db
      .deleteFrom('campaigns')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
  }

  async insertRevision(
    workspaceId: string,
    rev: {
      campaignId: string;
      revision: number;
      spec: CampaignSpec;
      diff: DiffEntry[];
      author: string | null;
    },
    now: number,
  ): Promise<void> {
    await this.store.db
      .insertInto('campaign_revisions')
      .values({
        workspace_id: workspaceId,
        campaign_id: rev.campaignId,
        revision: rev.revision,
        spec: toJson(rev.spec),
        diff: JSON.stringify(rev.diff),
        author: rev.author,
        created_at: now,
      })
      .execute();
  }

  /** Revisions newest first. */
  async listRevisions(workspaceId: string, campaignId: string): Promise<CampaignRevision[]> {
    const rows = await this.store.db
      .selectFrom('campaign_revisions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', campaignId)
      .orderBy('revision', 'desc')
      .execute();
    return rows.map((r) => ({
      campaignId: r.campaign_id,
      revision: Number(r.revision),
      spec: fromJson(r.spec, {} as CampaignSpec),
      diff: fromJson<DiffEntry[]>(r.diff, []),
      author: r.author,
      createdAt: Number(r.created_at),
    }));
  }
}

function toCampaign(row: CampaignRow): Campaign {
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    workspaceId: row.workspace_id as string,
    id: row.id as string,
    name: row.name as string,
    kind: row.kind as CampaignSpec['kind'],
    status: row.status as CampaignStatus,
    spec: fromJson(row.spec, {} as CampaignSpec),
    revision: Number(row.revision),
    frozenPlan: row.frozen_plan === null ? null : fromJson<FrozenPlan | null>(row.frozen_plan, null),
    frozenHash: (row.frozen_hash as string | null) ?? null,
    launchedAt: num(row.launched_at),
    endedAt: num(row.ended_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
