// Message templates, keyed by their path relative to the campaign file that references them.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export const TEMPLATE_KINDS = ['mjml', 'liquid', 'text', 'html'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export interface Template {
  id: string;
  kind: TemplateKind;
  source: string;
  hash: string;
  updatedAt: number;
}

export function templateHash(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

export class TemplatesRepository {
  /** Takes a store or, inside a transaction, `{ db: trx }`. */
  constructor(private readonly store: { db: Kysely<Database> }) {}

  async get(workspaceId: string, id: string): Promise<Template | undefined> {
    return (await this.getMany(workspaceId, [id])).get(id);
  }

  async getMany(workspaceId: string, ids: string[]): Promise<Map<string, Template>> {
    const out = new Map<string, Template>();
    if (ids.length === 0) return out;
    const rows = await this.store.db
      .selectFrom('templates')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', [...new Set(ids)])
      .execute();
    for (const r of rows) {
      out.set(r.id, {
        id: r.id,
        kind: r.kind as TemplateKind,
        source: r.source,
        hash: r.hash,
        updatedAt: Number(r.updated_at),
      });
    }
    return out;
  }

  /** Inserts or replaces a template; returns what happened. */
  async upsert(
    workspaceId: string,
    t: { id: string; kind: TemplateKind; source: string },
    now: number,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    const hash = templateHash(t.source);
    const existing = await this.get(workspaceId, t.id);
    if (existing && existing.hash === hash && existing.kind === t.kind) return 'unchanged';
    // One statement for both cases, so two concurrent applies of the same template cannot collide.
    await this.store.db
      .insertInto('templates')
      .values({ workspace_id: workspaceId, id: t.id, kind: t.kind, source: t.source, hash, updated_at: now })
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'id'])
          .doUpdateSet({ kind: t.kind, source: t.source, hash, updated_at: now }),
      )
      .execute();
    if (existing) return 'updated';
    return 'created';
  }
}
