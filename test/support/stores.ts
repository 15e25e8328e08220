// Test stores: every store test runs on a fresh SQLite file and on this run's PostgreSQL database,
// each test in its own random workspace (no truncation between tests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openStore, type DialectName, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';

export const dialects: DialectName[] = ['sqlite', 'postgres'];

export interface TestStore extends Store {
  /** Removes the temporary SQLite folder too. */
  dispose(): Promise<void>;
}

export async function openTestStore(dialect: DialectName): Promise<TestStore> {
  if (dialect === 'postgres') {
    const store = openStore(inject('pgUrl'), { poolSize: 4 });
    return { ...store, dispose: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  const store = openStore(`sqlite:${join(dir, 'test.db')}`);
  await migrateToLatest(store);
  return {
    ...store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A random workspace, so tests never see each other's rows. */
export async function newWorkspace(store: Store, now = Date.parse('2027-01-04T12:00:00Z')): Promise<string> {
  const ws = await new WorkspacesRepository(store).ensure(`test-${randomBytes(6).toString('hex')}`, now);
  return ws.id;
}

/** A fresh SQLite URL in a temporary folder (for tests that spawn the CLI or a server). */
export function tempSqliteUrl(): { url: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  return {
    url: `sqlite:${join(dir, 'baton.db')}`,
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
