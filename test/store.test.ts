import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { ApiKeysRepository } from '../src/store/api-keys.repository.js';
import { resolveSecret } from '../src/store/instance-settings.repository.js';
import { migrateToLatest, pendingMigrations } from '../src/store/migrate.js';

describe.each(dialects)('store foundation on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('has no pending migrations and re-running them is a no-op', async () => {
    expect(await pendingMigrations(store)).toEqual([]);
    expect(await migrateToLatest(store)).toEqual([]);
  });

  it('creates a workspace once by name', async () => {
    const repo = new WorkspacesRepository(store);
    const a = await repo.ensure(`ws-${dialect}-${Math.random()}`, 1000);
    const b = await repo.ensure(a.name, 2000);
    expect(b.id).toBe(a.id);
    expect(b.createdAt).toBe(1000);
  });

  it('stores only a hash of an API key and verifies the key', async () => {
    const ws = await newWorkspace(store);
    const keys = new ApiKeysRepository(store);
    const { key, record } = await keys.create(ws, { kind: 'api', scopes: ['read', 'write'] }, 5);
    const rows = await store.db.selectFrom('api_keys').selectAll().where('id', '=', record.id).execute();
    expect(JSON.stringify(rows)).not.toContain(key.slice(10));
    expect((await keys.verify(key, 'api'))?.workspaceId).toBe(ws);
    expect(await keys.verify(key, 'ingest')).toBeUndefined();
    expect(await keys.verify(key + 'x', 'api')).toBeUndefined();
    await keys.revoke(ws, record.id, 6);
    expect(await keys.verify(key, 'api')).toBeUndefined();
  });

  it('generates the signing secret once and keeps it', async () => {
    const s1 = await resolveSecret(store, undefined);
    const s2 = await resolveSecret(store, undefined);
    expect(s1.length).toBeGreaterThanOrEqual(32);
    expect(s2).toBe(s1);
    expect(await resolveSecret(store, 'x'.repeat(40))).toBe('x'.repeat(40));
  });
});
