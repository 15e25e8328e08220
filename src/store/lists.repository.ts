// Static lists: contact lists and target-account lists (ABM), with their members. Members are ids of
// this workspace's contacts or accounts; target-account lists can also be filled from account domains.
import { BatonError } from '../domain/errors.js';
import { normalizeDomain } from '../domain/contact.js';
import { ownedAccountIds, ownedContactIds, type AccountOwner } from './account-ownership.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { assertUnused } from './references-in-use.js';
import { isUniqueViolation } from './segments/unique.js';

export const LIST_KINDS = ['contact', 'account'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export interface List {
  id: string;
  name: string;
  kind: ListKind;
  description: string | null;
  memberCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface MembershipChange {
  /** Members added (or removed) by this call. */
  changed: number;
  /** Ids (or domains) that match no contact/account of the workspace. */
  unknown: string[];
}

const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export class ListsRepository {
  constructor(private readonly store: Store) {}

  async list(workspaceId: string): Promise<List[]> {
    const rows = await this.store.db
      .selectFrom('lists')
      .leftJoin('list_members', 'list_members.list_id', 'lists.id')
      .select([
        'lists.id',
        'lists.name',
        'lists.kind',
        'lists.description',
        'lists.created_at',
        'lists.updated_at',
      ])
      .select((eb) => eb.fn.count<number>('list_members.member_id').as('n'))
      .where('lists.workspace_id', '=', workspaceId)
      .groupBy([
        'lists.id',
        'lists.name',
        'lists.kind',
        'lists.description',
        'lists.created_at',
        'lists.updated_at',
      ])
      .orderBy('lists.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind as ListKind,
      description: r.description,
      memberCount: Number(r.n),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** By id, or by name when no id matches. */
  async find(workspaceId: string, ref: string): Promise<List | undefined> {
    const rows = await this.store.db
      .selectFrom('lists')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .execute();
    const row = rows.find((r) => r.id === ref) ?? rows[0];
    if (!row) return undefined;
    const count = await this.store.db
      .selectFrom('list_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('list_id', '=', row.id)
      .executeTakeFirstOrThrow();
    return {
      id: row.id,
      name: row.name,
      kind: row.kind as ListKind,
      description: row.description,
      memberCount: Number(count.n),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async get(workspaceId: string, ref: string): Promise<List> {
    const list = await this.find(workspaceId, ref);
    if (!list) throw BatonError.notFound('list', ref);
    return list;
  }

  async create(
    workspaceId: string,
    input: { name: string; kind: ListKind; description?: string | null },
    now: number,
  ): Promise<List> {
    if (!input.name.trim()) throw BatonError.invalid([{ path: 'name', message: 'must not be empty' }]);
    const row = {
      id: newId('list', now),
      workspace_id: workspaceId,
      name: input.name.trim(),
      kind: input.kind,
      description: input.description ?? null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.db.insertInto('lists').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e))
        throw new BatonError('conflict', `a list named ${JSON.stringify(row.name)} already exists`, {
          issues: [{ path: 'name', message: 'is taken by another list' }],
        });
      throw e;
    }
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      description: row.description,
      memberCount: 0,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Deletes a list and its memberships, unless a saved segment or a campaign that may still enroll
   * (src/store/references-in-use.ts) names it: that is a `conflict` naming each user, and nothing changes.
   */
  async delete(workspaceId: string, ref: string): Promise<void> {
    const list = await this.get(workspaceId, ref);
    await this.store.db.transaction().execute(async (trx) => {
      await assertUnused({ db: trx }, workspaceId, { kind: 'list', id: list.id, name: list.name });
      await trx.deleteFrom('list_members').where('list_id', '=', list.id).execute();
      await trx
        .deleteFrom('lists')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', list.id)
        .execute();
    });
  }

  /**
   * Member ids in insertion-independent (id) order, paged by the last id seen; with `ownedBy`, only the
   * members (contacts or accounts) of the accounts that user owns.
   */
  async members(
    workspaceId: string,
    ref: string,
    page: { limit?: number; after?: string; ownedBy?: AccountOwner } = {},
  ): Promise<{ ids: string[]; next?: string }> {
    const list = await this.get(workspaceId, ref);
    const limit = Math.min(page.limit ?? 100, 1000);
    let q = this.store.db
      .selectFrom('list_members')
      .select('member_id')
      .where('workspace_id', '=', workspaceId)
      .where('list_id', '=', list.id)
      .orderBy('member_id')
      .limit(limit + 1);
    if (page.after) q = q.where('member_id', '>', page.after);
    if (page.ownedBy) {
      const db = this.store.db;
      q = q.where(
        'member_id',
        'in',
        list.kind === 'account'
          ? ownedAccountIds(db, workspaceId, page.ownedBy)
          : ownedContactIds(db, workspaceId, page.ownedBy),
      );
    }
    const rows = await q.execute();
    const ids = rows.slice(0, limit).map((r) => r.member_id);
    return rows.length > limit ? { ids, next: ids[ids.length - 1] } : { ids };
  }

  /** Adds contacts (contact lists) or accounts (account lists) by id; unknown ids are reported, not added. */
  async addMembers(workspaceId: string, ref: string, ids: string[], now: number): Promise<MembershipChange> {
    const list = await this.get(workspaceId, ref);
    const wanted = [...new Set(ids)];
    const existing = new Set<string>();
    for (const part of chunks(wanted)) {
      const rows =
        list.kind === 'account'
          ? await this.store.db
              .selectFrom('accounts')
              .select('id')
              .where('workspace_id', '=', workspaceId)
              .where('id', 'in', part)
              .execute()
          : await this.store.db
              .selectFrom('contacts')
              .select('id')
              .where('workspace_id', '=', workspaceId)
              .where('id', 'in', part)
              .execute();
      for (const r of rows) existing.add(r.id);
    }
    const changed = await this.insertMembers(workspaceId, list.id, [...existing], now);
    return { changed, unknown: wanted.filter((id) => !existing.has(id)) };
  }

  /** Fills a target-account list from account domains (`https://www.acme.com/` counts as acme.com). */
  async addDomains(
    workspaceId: string,
    ref: string,
    domains: string[],
    now: number,
  ): Promise<MembershipChange> {
    const list = await this.get(workspaceId, ref);
    if (list.kind !== 'account') {
      throw BatonError.invalid([
        {
          path: 'list',
          message: `${JSON.stringify(list.name)} is a contact list; domains fill target-account lists`,
        },
      ]);
    }
    const wanted = [...new Set(domains.map(normalizeDomain).filter((d) => d !== ''))];
    const byDomain = new Map<string, string>();
    for (const part of chunks(wanted)) {
      const rows = await this.store.db
        .selectFrom('accounts')
        .select(['id', 'domain'])
        .where('workspace_id', '=', workspaceId)
        .where('domain', 'in', part)
        .execute();
      for (const r of rows) if (r.domain) byDomain.set(r.domain, r.id);
    }
    const changed = await this.insertMembers(workspaceId, list.id, [...byDomain.values()], now);
    return { changed, unknown: wanted.filter((d) => !byDomain.has(d)) };
  }

  async removeMembers(workspaceId: string, ref: string, ids: string[]): Promise<MembershipChange> {
    const list = await this.get(workspaceId, ref);
    let changed = 0;
    for (const part of chunks([...new Set(ids)])) {
      const res = await this.store.db
        .deleteFrom('list_members')
        .where('workspace_id', '=', workspaceId)
        .where('list_id', '=', list.id)
        .where('member_id', 'in', part)
        .executeTakeFirst();
      changed += Number(res.numDeletedRows);
    }
    return { changed, unknown: [] };
  }

  private async insertMembers(
    workspaceId: string,
    listId: string,
    ids: string[],
    now: number,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    return this.store.db.transaction().execute(async (trx) => {
      let changed = 0;
      for (const part of chunks(ids)) {
        const res = await trx
          .insertInto('list_members')
          .values(
            part.map((id) => ({ list_id: listId, workspace_id: workspaceId, member_id: id, added_at: now })),
          )
          .onConflict((oc) => oc.columns(['list_id', 'member_id']).doNothing())
          .executeTakeFirst();
        changed += Number(res.numInsertedOrUpdatedRows ?? 0);
      }
      await trx.updateTable('lists').set({ updated_at: now }).where('id', '=', listId).execute();
      return changed;
    });
  }
}
