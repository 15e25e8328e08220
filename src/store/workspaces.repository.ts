// Workspaces: the tenancy boundary. Every other repository call takes a workspace id.
import type { Store } from './db.js';
import { newId } from './ids.js';
import { fromJson, toJson } from './json.js';

export interface Workspace {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: number;
}

export class WorkspacesRepository {
  constructor(private readonly store: Store) {}

  async findByName(name: string): Promise<Workspace | undefined> {
    const row = await this.store.db
      .selectFrom('workspaces')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toWorkspace(row);
  }

  async get(id: string): Promise<Workspace | undefined> {
    const row = await this.store.db
      .selectFrom('workspaces')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toWorkspace(row);
  }

  async list(): Promise<Workspace[]> {
    const rows = await this.store.db.selectFrom('workspaces').selectAll().orderBy('created_at').execute();
    return rows.map(toWorkspace);
  }

  /** Returns the workspace with that name, creating it on first use. */
  async ensure(name: string, now: number): Promise<Workspace> {
    const existing = await this.findByName(name);
    if (existing) return existing;
    const row = { id: newId('ws', now), name, settings: '{}', created_at: now };
    await this.store.db
      .insertInto('workspaces')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.findByName(name))!;
  }

  /**
   * Reads the settings, lets `change` derive the new ones and writes them, as one transaction holding the
   * workspace row (PostgreSQL: `FOR UPDATE`; SQLite has one writer), so two concurrent changes never both
   * start from the same settings and lose one. Returns the settings written.
   */
  async changeSettings(
    id: string,
    change: (settings: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return this.store.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('workspaces').select('settings').where('id', '=', id);
      if (this.store.dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      const next = change(fromJson<Record<string, unknown>>(row?.settings, {}));
      await trx
        .updateTable('workspaces')
        .set({ settings: toJson(next) })
        .where('id', '=', id)
        .execute();
      return next;
    });
  }

  async updateSettings(id: string, settings: Record<string, unknown>): Promise<void> {
    await this.store.db
      .updateTable('workspaces')
      .set({ settings: toJson(settings) })
      .where('id', '=', id)
      .execute();
  }
}

function toWorkspace(row: { id: string; name: string; settings: unknown; created_at: number }): Workspace {
  return {
    id: row.id,
    name: row.name,
    settings: fromJson(row.settings, {}),
    createdAt: Number(row.created_at),
  };
}
