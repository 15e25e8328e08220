// Ads audiences (named per workspace) with their memberships, each carrying the hashed identifiers the
// platforms match on and the times it was added and removed; the exports made of them; and campaign-level
// social posts with the network accounts they are published through.
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ads_audiences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ads_audiences_ws_name')
    .unique()
    .on('ads_audiences')
    .columns(['workspace_id', 'name'])
    .execute();

  await db.schema
    .createTable('ads_audience_members')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('audience_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    // The campaign and enrollment that put the contact in last: their exit takes the contact out.
    .addColumn('campaign_id', 'text')
    .addColumn('enrollment_id', 'text')
    // Hashed identifiers per platform, computed when the contact entered (raw data never stored here).
    .addColumn('identifiers', jsonType(db), (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addColumn('removed_at', 'bigint')
    .addColumn('removed_reason', 'text')
    .addPrimaryKeyConstraint('ads_audience_members_pk', ['audience_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('ads_audience_members_contact')
    .on('ads_audience_members')
    .columns(['workspace_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('ads_audience_members_enrollment')
    .on('ads_audience_members')
    .columns(['workspace_id', 'enrollment_id'])
    .execute();

  await db.schema
    .createTable('ads_audience_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('audience_id', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('since', 'bigint')
    .addColumn('added', 'integer', (c) => c.notNull())
    .addColumn('removed', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ads_audience_exports_audience')
    .on('ads_audience_exports')
    .columns(['workspace_id', 'audience_id', 'format', 'created_at'])
    .execute();

  await db.schema
    .createTable('social_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('social_accounts_ws_name')
    .unique()
    .on('social_accounts')
    .columns(['workspace_id', 'name'])
    .execute();

  await db.schema
    .createTable('social_posts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('post_id', 'text', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('link', 'text')
    .addColumn('image_url', 'text')
    // planned | sending | sent | failed | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'bigint')
    // What the network's webhook answered (status, post id), for the campaign page.
    .addColumn('details', jsonType(db), (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('social_posts_campaign_post')
    .unique()
    .on('social_posts')
    .columns(['workspace_id', 'campaign_id', 'post_id'])
    .execute();
  await db.schema.createIndex('social_posts_due').on('social_posts').columns(['status', 'due_at']).execute();
  await db.schema
    .createIndex('social_posts_calendar')
    .on('social_posts')
    .columns(['workspace_id', 'due_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
