// The store's own description of itself: every table and column, read from the catalogue (sqlite_master and
// pragma_table_info on SQLite, information_schema on PostgreSQL), so privacy code and its tests see tables
// that later migrations add without being told about them.
import { sql, type Kysely } from 'kysely';
import type { Store } from '../db.js';
import type { Database } from '../schema.js';

export interface ColumnInfo {
  table: string;
  column: string;
  /** The declared type, lower-cased (`text`, `jsonb`, `bigint`, `character varying`, …). */
  type: string;
}

/** Kysely's own bookkeeping tables hold no data about anyone. */
const INTERNAL = /^(kysely_|sqlite_)/;

export async function listColumns(
  store: Pick<Store, 'dialect'> & { db: Kysely<Database> },
): Promise<ColumnInfo[]> {
  const rows =
    store.dialect === 'postgres'
      ? await sql<{ table_name: string; column_name: string; data_type: string }>`
          select table_name, column_name, data_type from information_schema.columns
          where table_schema = current_schema()
            -- A partition's rows are read through its parent (the monthly partitions of events, decision 0021).
            and table_name not in (
              select relname from pg_class where relispartition and relnamespace = current_schema()::regnamespace)
          order by table_name, ordinal_position`.execute(store.db)
      : await sql<{ table_name: string; column_name: string; data_type: string }>`
          select m.name as table_name, p.name as column_name, p.type as data_type
          from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table'
          order by m.name, p.cid`.execute(store.db);
  return rows.rows
    .filter((r) => !INTERNAL.test(r.table_name))
    .map((r) => ({ table: r.table_name, column: r.column_name, type: r.data_type.toLowerCase() }));
}

/** Tables that have a `contact_id` column: each holds rows about one person. */
export async function tablesWithContactId(
  store: Pick<Store, 'dialect'> & { db: Kysely<Database> },
): Promise<string[]> {
  const cols = await listColumns(store);
  return [...new Set(cols.filter((c) => c.column === 'contact_id').map((c) => c.table))].sort();
}

/** Columns that can hold text: where a name, an address or a phone number could be written. */
export function isTextual(type: string): boolean {
  return /char|text|json|clob/.test(type) || type === '';
}
