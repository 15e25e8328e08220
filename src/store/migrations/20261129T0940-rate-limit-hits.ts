// Request counters shared by every `baton serve` process on one PostgreSQL database (decision 0023): one row
// per limited key and limit, its fixed window's start and the requests counted in it. UNLOGGED on PostgreSQL:
// not written to the WAL (cheaper per request, not replicated), emptied after a crash — a counter that
// forgets a minute of requests is acceptable, a slower API is not. Created on SQLite too, where `serve`
// counts in memory unless told otherwise (one process owns the file).
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema.createTable('rate_limit_hits');
  if (isPostgres(db)) table = table.modifyFront(sql`unlogged`);
  await table
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rate_limit_hits_expires_idx')
    .on('rate_limit_hits')
    .column('expires_at')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
