// Ads audience pushes: per audience, the HTTPS endpoint its delta is POSTed to by the worker and the format
// sent (google | meta), with the time of the last check (a claim, so one worker pushes at a time), the last
// successful push and the last failure's reason. The deltas themselves are recorded in ads_audience_exports
// once an endpoint has accepted them, so a failed push is part of the next delta.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ads_audience_pushes')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('audience_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('checked_at', 'bigint')
    .addColumn('last_push_at', 'bigint')
    .addColumn('last_push_error', 'text')
    .addPrimaryKeyConstraint('ads_audience_pushes_pk', ['workspace_id', 'audience_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
