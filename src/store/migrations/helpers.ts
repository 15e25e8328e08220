// Column types that differ between the two dialects, for migrations that run on both.
import { sql, type CreateTableBuilder, type Kysely, type RawBuilder } from 'kysely';
import { isPostgres } from '../db.js';

export function jsonType(db: Kysely<unknown>): RawBuilder<unknown> {
  return isPostgres(db) ? sql`jsonb` : sql`text`;
}

/** Adds an auto-incrementing 64-bit primary key `name` (an ingest order for append-only tables). */
export function withSerialKey<T extends CreateTableBuilder<string, never>>(
  db: Kysely<unknown>,
  table: T,
  name: string,
): T {
  return (
    isPostgres(db)
      ? table.addColumn(name, 'bigserial', (c) => c.primaryKey())
      : table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
  ) as T;
}
