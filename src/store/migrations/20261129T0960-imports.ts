// Contact and account CSV imports started over HTTP: one row per upload with its progress, so any serve
// process can answer "how far is it" (src/store/imports.repository.ts, src/api/routes/imports.routes.ts).
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('skip_invalid', 'integer', (c) => c.notNull())
    .addColumn('bytes_read', 'bigint', (c) => c.notNull())
    .addColumn('total_bytes', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('result', jsonType(db))
    .addColumn('error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('imports_workspace_idx')
    .on('imports')
    .columns(['workspace_id', 'id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
