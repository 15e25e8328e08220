// Campaigns (spec as JSON, lifecycle status, frozen measurement plan), their revisions, and the templates
// campaign files reference by relative path.
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('spec', jsonType(db), (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('frozen_plan', jsonType(db))
    .addColumn('frozen_hash', 'text')
    .addColumn('launched_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaigns_pk', ['workspace_id', 'id'])
    .execute();
  await db.schema
    .createIndex('campaigns_ws_status')
    .on('campaigns')
    .columns(['workspace_id', 'status'])
    .execute();

  await db.schema
    .createTable('campaign_revisions')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('spec', jsonType(db), (c) => c.notNull())
    .addColumn('diff', jsonType(db), (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_revisions_pk', ['workspace_id', 'campaign_id', 'revision'])
    .execute();

  await db.schema
    .createTable('templates')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('templates_pk', ['workspace_id', 'id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
