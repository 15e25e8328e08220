// The one transaction of an import: raw BEGIN IMMEDIATE on SQLite, a Kysely transaction on PostgreSQL,
// with the writer and the read helper the row handlers use inside it.
import { sql, type Kysely } from 'kysely';
import { BatonError } from '../../domain/errors.js';
import type { Store } from '../db.js';
import type { Database } from '../schema.js';
import { postgresWriter, sqliteWriter, type TableSpec, type TableWriter } from './table-writer.js';

/** SQLite page cache during an import, in KiB as `PRAGMA cache_size` takes it (negative: KiB). */
export const IMPORT_CACHE_KIB = -256 * 1024;

export interface Session {
  db: Kysely<Database>;
  dialect: Store['dialect'];
  writer: TableWriter;
  /** Reads the workspace's rows of a table, a few columns at a time. */
  select(query: string): Promise<unknown[][]>;
}

/** Runs the import in one transaction: raw BEGIN IMMEDIATE on SQLite, a Kysely transaction on PostgreSQL. */
export async function inTransaction(
  store: Store,
  spec: TableSpec,
  options: { workspaceId: string; now: number },
  body: (session: Session) => Promise<void>,
): Promise<void> {
  const ws = options.workspaceId;
  const sqlite = store.sqlite;
  if (sqlite) {
    // Hold Kysely's only connection so no other query of this process lands inside the transaction.
    await store.db.connection().execute(async (db) => {
      // Index pages of a large import outgrow SQLite's 2 MiB default cache and would be re-read from the
      // OS on every insert; a bigger cache for the length of the import halved the wall time of 1M inserts here.
      const cacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
      sqlite.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        await body({
          db,
          dialect: 'sqlite',
          writer: sqliteWriter(sqlite, spec, ws, options.now),
          select: (query) =>
            Promise.resolve(sqlite.prepare(query.replace('$ws', '?')).raw().all(ws) as unknown[][]),
        });
        sqlite.exec('COMMIT');
      } catch (e) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw e;
      } finally {
        sqlite.pragma(`cache_size = ${cacheSize}`);
      }
    });
    return;
  }
  await store.db
    .transaction()
    .execute(async (trx) => {
      await body({
        db: trx,
        dialect: 'postgres',
        writer: postgresWriter(trx, spec, ws, options.now),
        select: async (query) => {
          const [before, after] = query.split('$ws');
          const r = await sql<
            Record<string, unknown>
          >`${sql.raw(before!)}${ws}${sql.raw(after ?? '')}`.execute(trx);
          return r.rows.map((row) => Object.values(row));
        },
      });
    })
    .catch((e: unknown) => {
      // Keys were checked against the rows stored when the import began; another writer got there since.
      if ((e as { code?: unknown }).code !== '23505') throw e;
      throw new BatonError(
        'conflict',
        `another writer stored a ${spec.table === 'contacts' ? 'contact' : 'account'} with a key of this file while it was imported; nothing was imported, run the import again`,
        { detail: (e as { detail?: unknown }).detail },
      );
    });
}
