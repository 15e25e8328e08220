// Campaign reviews: the learnings a team writes about a campaign once it is over, one row per campaign.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaign_reviews')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('learnings', 'text', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_reviews_pk', ['workspace_id', 'campaign_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
