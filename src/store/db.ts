// Opens the store named by BATON_DB: SQLite (better-sqlite3, WAL) or PostgreSQL (pg), behind one Kysely type.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  type Dialect,
  type Driver,
} from 'kysely';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  url: string;
  /** The better-sqlite3 handle on SQLite, for bulk paths that bypass Kysely's per-query overhead. */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

// PostgreSQL int8 (epoch-millisecond times, counts) comes back as a string by default; Baton keeps times
// well inside 2^53, so parse them as numbers once, here, for every pool.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/**
 * SQLite transactions take the write lock when they begin (`BEGIN IMMEDIATE`). A deferred transaction that
 * reads and then writes fails at once with SQLITE_BUSY when another process (a CLI command beside `serve`, a
 * second worker in a test) committed in between: SQLite cannot wait for a lock its snapshot already missed.
 * Taken up front, the lock is waited for under `busy_timeout` like any other. Within one process Kysely runs
 * one transaction at a time on the single connection anyway.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

export function openStore(url: string, options: { poolSize?: number } = {}): Store {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const dialect: Dialect = new ImmediateSqliteDialect({ database: sqlite });
    const db = new Kysely<Database>({ dialect });
    return { db, dialect: 'sqlite', url, sqlite, close: () => db.destroy() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // A dropped connection (database restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    // The same for a client checked out at that moment (inside a transaction): its query fails and the
    // caller retries, but the client's own 'error' event must have a listener or Node exits.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', url, close: () => db.destroy() };
  }
  throw new Error(`BATON_DB must be sqlite:PATH or a postgres:// URL, got ${JSON.stringify(url)}`);
}

export function isPostgres<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
