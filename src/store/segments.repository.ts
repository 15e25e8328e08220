// Saved segments: named rule trees a campaign references by id. Rules are validated (fields, operators,
// values, references, cycles) before they are written.
import { BatonError } from '../domain/errors.js';
import { parseRule } from '../domain/segment.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { assertRenamable, assertUnused } from './references-in-use.js';
import { fromJson, toJson } from './json.js';
import { resolveReferences } from './segments/references.js';
import { isUniqueViolation } from './segments/unique.js';

export interface SavedSegment {
  id: string;
  name: string;
  description: string | null;
  rule: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface SegmentInput {
  name: string;
  description?: string | null;
  rule: unknown;
}

type Row = {
  id: string;
  name: string;
  description: string | null;
  rule: unknown;
  created_at: number;
  updated_at: number;
};

function toSegment(row: Row): SavedSegment {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    rule: fromJson<unknown>(row.rule, {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SegmentsRepository {
  constructor(private readonly store: Store) {}

  async list(workspaceId: string): Promise<SavedSegment[]> {
    const rows = await this.store.db
      .selectFrom('segments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute();
    return rows.map(toSegment);
  }

  /** By id, or by name when no id matches. */
  async find(workspaceId: string, ref: string): Promise<SavedSegment | undefined> {
    const rows = await this.store.db
      .selectFrom('segments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .execute();
    const row = rows.find((r) => r.id === ref) ?? rows[0];
    return row && toSegment(row);
  }

  async get(workspaceId: string, ref: string): Promise<SavedSegment> {
    const s = await this.find(workspaceId, ref);
    if (!s) throw BatonError.notFound('segment', ref);
    return s;
  }

  async create(workspaceId: string, input: SegmentInput, now: number): Promise<SavedSegment> {
    await this.validate(workspaceId, input, undefined);
    const row = {
      id: newId('seg', now),
      workspace_id: workspaceId,
      name: input.name,
      description: input.description ?? null,
      rule: toJson(input.rule),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.db.insertInto('segments').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw nameTaken(input.name);
      throw e;
    }
    return toSegment({ ...row, rule: input.rule });
  }

  async update(
    workspaceId: string,
    ref: string,
    patch: Partial<SegmentInput>,
    now: number,
  ): Promise<SavedSegment> {
    const current = await this.get(workspaceId, ref);
    const next: SegmentInput = {
      name: patch.name ?? current.name,
      description: patch.description === undefined ? current.description : patch.description,
      rule: patch.rule ?? current.rule,
    };
    await this.validate(workspaceId, next, current.id);
    if (next.name !== current.name) {
      await assertRenamable(
        this.store,
        workspaceId,
        { kind: 'segment', id: current.id, name: current.name },
        next.name,
      );
    }
    try {
      await this.store.db
        .updateTable('segments')
        .set({
          name: next.name,
          description: next.description ?? null,
          rule: toJson(next.rule),
          updated_at: now,
        })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', current.id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw nameTaken(next.name);
      throw e;
    }
    return { ...current, ...next, description: next.description ?? null, updatedAt: now };
  }

  /**
   * Deletes a segment unless another saved segment or a campaign that may still enroll
   * (src/store/references-in-use.ts) refers to it: that is a `conflict` naming each user, and nothing changes.
   */
  async delete(workspaceId: string, ref: string): Promise<void> {
    const current = await this.get(workspaceId, ref);
    await this.store.db.transaction().execute(async (trx) => {
      await assertUnused({ db: trx }, workspaceId, { kind: 'segment', id: current.id, name: current.name });
      await trx
        .deleteFrom('segments')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', current.id)
        .execute();
    });
  }

  private async validate(workspaceId: string, input: SegmentInput, id: string | undefined): Promise<void> {
    if (!input.name.trim()) throw BatonError.invalid([{ path: 'name', message: 'must not be empty' }]);
    const rule = parseRule(input.rule, 'rule');
    await resolveReferences(this.store, workspaceId, rule, { id, name: input.name });
  }
}

function nameTaken(name: string): BatonError {
  return new BatonError('conflict', `a segment named ${JSON.stringify(name)} already exists`, {
    issues: [{ path: 'name', message: 'is taken by another segment' }],
  });
}
