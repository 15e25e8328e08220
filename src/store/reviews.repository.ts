// Campaign reviews: the team's learnings per campaign (written by PUT /api/v1/campaigns/:id/review).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface CampaignReview {
  campaignId: string;
  learnings: string;
  author: string | null;
  createdAt: number;
  updatedAt: number;
}

export class ReviewsRepository {
  /** Takes a store or, inside a transaction, `{ db: trx }`. */
  constructor(private readonly store: { db: Kysely<Database> }) {}

  async get(workspaceId: string, campaignId: string): Promise<CampaignReview | undefined> {
    const row = await this.store.db
      .selectFrom('campaign_reviews')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', campaignId)
      .executeTakeFirst();
    return (
      row && {
        campaignId: row.campaign_id,
        learnings: row.learnings,
        author: row.author,
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
      }
    );
  }

  /** Writes the learnings (replacing earlier ones); the first write's time stays as `createdAt`. */
  async put(
    workspaceId: string,
    campaignId: string,
    learnings: string,
    author: string | null,
    now: number,
  ): Promise<CampaignReview> {
    await this.store.db
      .insertInto('campaign_reviews')
      .values({
        workspace_id: workspaceId,
        campaign_id: campaignId,
        learnings,
        author,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'campaign_id']).doUpdateSet({ learnings, author, updated_at: now }),
      )
      .execute();
    return (await this.get(workspaceId, campaignId))!;
  }
}
