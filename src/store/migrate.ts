// Applies the forward-only migration set in src/store/migrations to a store (both dialects, same files).
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import type { Store } from './db.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_FILE = /^\d{8}T\d{4}-[a-z0-9-]+\.(ts|js)$/;

class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => MIGRATION_FILE.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)) as Migration;
      out[file.replace(/\.(ts|js)$/, '')] = mod;
    }
    return out;
  }
}

export async function migrateToLatest(store: Store): Promise<MigrationResult[]> {
  return migrateUpTo(store);
}

/** Applies pending migrations up to and including `name` (all of them without it). */
export async function migrateUpTo(store: Store, name?: string): Promise<MigrationResult[]> {
  const migrator = newMigrator(store);
  // During a rolling deploy the new release runs `baton migrate` while this release's processes still run
  // and restart. Its migrations are additive (docs/operations.md, "Upgrades"), so a process of this release
  // starts on the newer schema as it is, and applies nothing.
  const newer = await newerMigrations(store, migrator);
  if (newer) {
    if (newer.pending.length > 0) {
      throw new Error(
        `this database was migrated by a newer Baton (${newer.unknown.join(', ')}) but lacks this release's ` +
          `${newer.pending.join(', ')}: run \`baton migrate\` with the newer release`,
      );
    }
    return [];
  }
  const { error, results } = await (name === undefined
    ? migrator.migrateToLatest()
    : migrator.migrateTo(name));
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return results ?? [];
}

function newMigrator(store: Store): Migrator {
  return new Migrator({
    db: store.db,
    provider: new FolderMigrationProvider(),
    migrationTableName: 'baton_migrations',
    migrationLockTableName: 'baton_migrations_lock',
  });
}

/**
 * Migrations applied to the database that this release does not know, when all of them come after every
 * migration it knows (a newer release migrated the database), with this release's own still pending;
 * undefined when there are none.
 */
async function newerMigrations(
  store: Store,
  migrator: Migrator,
): Promise<{ unknown: string[]; pending: string[] } | undefined> {
  const known = await migrator.getMigrations();
  if (known.length === 0 || !known.some((m) => m.executedAt)) return undefined;
  const applied = await sql<{ name: string }>`select name from baton_migrations`.execute(store.db);
  const names = new Set(known.map((m) => m.name));
  const last = known[known.length - 1]!.name;
  const unknown = applied.rows.map((r) => r.name).filter((n) => !names.has(n));
  // An unknown migration that sorts among the known ones is not "newer": the migrator reports it.
  if (unknown.length === 0 || unknown.some((n) => n < last)) return undefined;
  return { unknown: unknown.sort(), pending: known.filter((m) => !m.executedAt).map((m) => m.name) };
}

/** Names of migrations not yet applied (for readiness checks). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const all = await newMigrator(store).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
