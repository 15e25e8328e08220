// The audit log on both dialects: entries are appended and listed newest first with filters and a cursor,
// and the table itself refuses UPDATE and DELETE (a trigger), so no code path can rewrite history.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository, recordAudit } from '../../src/store/audit.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('audit log on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('lists entries newest first, filtered by actor, action, action prefix, target and since, page by page', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const user = { type: 'user' as const, id: 'usr_a', role: 'marketer' as const };
    await recordAudit(store, {
      workspaceId: ws,
      at: T0,
      actor: user,
      action: 'campaign.create',
      target: { type: 'campaign', id: 'c1' },
    });
    await recordAudit(store, {
      workspaceId: ws,
      at: T0 + 1000,
      actor: user,
      action: 'campaign.launch',
      target: { type: 'campaign', id: 'c1' },
      details: { revision: 2 },
    });
    await recordAudit(store, {
      workspaceId: ws,
      at: T0 + 2000,
      actor: { type: 'key', id: 'key_b' },
      action: 'api_key.create',
      target: { type: 'api_key', id: 'key_c' },
    });
    await recordAudit(store, {
      workspaceId: other,
      at: T0,
      actor: user,
      action: 'campaign.launch',
      target: { type: 'campaign', id: 'c1' },
    });
    const repo = new AuditRepository(store);

    const all = await repo.list(ws, { limit: 10 });
    expect(all.data.map((e) => e.action)).toEqual(['api_key.create', 'campaign.launch', 'campaign.create']);
    expect(all.data[1]).toMatchObject({
      workspaceId: ws,
      at: T0 + 1000,
      actor: { type: 'user', id: 'usr_a', role: 'marketer' },
      target: { type: 'campaign', id: 'c1' },
      details: { revision: 2 },
    });
    expect((await repo.list(ws, { limit: 10, actor: 'key_b' })).data.map((e) => e.action)).toEqual([
      'api_key.create',
    ]);
    expect((await repo.list(ws, { limit: 10, action: 'campaign.launch' })).data).toHaveLength(1);
    expect((await repo.list(ws, { limit: 10, action: 'campaign.' })).data).toHaveLength(2);
    expect((await repo.list(ws, { limit: 10, target: 'c1' })).data).toHaveLength(2);
    expect((await repo.list(ws, { limit: 10, since: T0 + 1000 })).data).toHaveLength(2);

    const first = await repo.list(ws, { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await repo.list(ws, { limit: 2, cursor: first.next_cursor! });
    expect(second.data.map((e) => e.action)).toEqual(['campaign.create']);
    expect(second.next_cursor).toBeNull();
  });

  it('refuses UPDATE and DELETE on audit_log', async () => {
    const ws = await newWorkspace(store);
    await recordAudit(store, {
      workspaceId: ws,
      at: T0,
      actor: { type: 'system', id: null },
      action: 'user.create',
    });
    await expect(
      sql`update audit_log set action = 'forged' where workspace_id = ${ws}`.execute(store.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where workspace_id = ${ws}`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    const rows = await new AuditRepository(store).list(ws, { limit: 10 });
    expect(rows.data.map((e) => e.action)).toEqual(['user.create']);
  });
});
