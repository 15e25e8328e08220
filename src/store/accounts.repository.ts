// Accounts of a workspace: create, upsert by domain or external id, partial update, delete, cursor lists.
// An account that gains a domain adopts the workspace's unlinked contacts whose email has that domain.
import { sql, type Selectable, type Transaction } from 'kysely';
import { mergeAttributes, normalizeDomain, type Account, type AccountInput } from '../domain/contact.js';
import { BatonError } from '../domain/errors.js';
import { checkLimit, decodeCursor, toPage, type Page, type PageRequest } from './cursor.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { containsText } from './text-search.js';
import { fromJson, toJson } from './json.js';
import type { AccountsTable, Database } from './schema.js';
import { isOwnedBy, type AccountOwner } from './account-ownership.js';
import { uniqueViolationColumn } from './unique-violation.js';

type Trx = Transaction<Database>;
type AccountRow = Selectable<AccountsTable>;

export interface AccountFilter {
  domain?: string;
  industry?: string;
  owner?: string;
  /** Only the accounts this user owns (what a sales rep sees). */
  ownedBy?: AccountOwner;
  /** Case-insensitive substring of the name or the domain. */
  q?: string;
  /** Accounts updated at or after this time (epoch ms). */
  updated_since?: number;
}

const FIELDS = ['external_id', 'domain', 'name', 'industry', 'size', 'owner'] as const;

export class AccountsRepository {
  constructor(private readonly store: Store) {}

  async find(workspaceId: string, id: string): Promise<Account | undefined> {
    const row = await this.store.db
      .selectFrom('accounts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  /** Like `find`, but a missing account (or one of another workspace) is a `not_found` error. */
  async get(workspaceId: string, id: string): Promise<Account> {
    const found = await this.find(workspaceId, id);
    if (!found) throw BatonError.notFound('account', id);
    return found;
  }

  async findByDomain(workspaceId: string, domain: string): Promise<Account | undefined> {
    const row = await this.byKey(this.store.db, workspaceId, 'domain', normalizeDomain(domain));
    return row && toAccount(row);
  }

  async findByExternalId(workspaceId: string, externalId: string): Promise<Account | undefined> {
    const row = await this.byKey(this.store.db, workspaceId, 'external_id', externalId);
    return row && toAccount(row);
  }

  async count(workspaceId: string): Promise<number> {
    const r = await this.store.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Creates an account; a domain or external id already in the workspace is a `conflict`. */
  async create(workspaceId: string, input: AccountInput, now: number): Promise<Account> {
    requireKey(input);
    return conflictsNamed(input, () =>
      this.store.db.transaction().execute((trx) => insertAccount(trx, workspaceId, input, now)),
    );
  }

  /**
   * Updates the account with the input's external id, else the one with its domain, else creates one.
   * An external id and a domain that point at two different accounts are a `conflict`, as is a domain
   * match whose account already carries a different external id.
   */
  async upsert(
    workspaceId: string,
    input: AccountInput,
    now: number,
  ): Promise<{ account: Account; created: boolean }> {
    requireKey(input);
    // A concurrent writer may insert the same key between our read and our insert: read again once.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.db.transaction().execute(async (trx) => {
          const byExternal = input.external_id
            ? await this.byKey(trx, workspaceId, 'external_id', input.external_id)
            : undefined;
          const byDomain = input.domain
            ? await this.byKey(trx, workspaceId, 'domain', input.domain)
            : undefined;
          if (byExternal && byDomain && byExternal.id !== byDomain.id) {
            throw conflict(
              'domain',
              input.domain,
              `it belongs to another account than external_id ${JSON.stringify(input.external_id)}`,
            );
          }
          const target = byExternal ?? byDomain;
          if (!target) return { account: await insertAccount(trx, workspaceId, input, now), created: true };
          if (
            !byExternal &&
            input.external_id &&
            target.external_id &&
            target.external_id !== input.external_id
          ) {
            throw conflict(
              'external_id',
              input.external_id,
              `the account with domain ${JSON.stringify(target.domain)} has external_id ${JSON.stringify(target.external_id)}`,
            );
          }
          return { account: await updateAccount(trx, workspaceId, target, input, now), created: false };
        });
      } catch (e) {
        if (attempt === 0 && uniqueViolationColumn(e)) continue;
        throw asConflict(e, input);
      }
    }
  }

  /** Changes only the fields present in `patch`; attributes merge (a null value removes a key). */
  async update(workspaceId: string, id: string, patch: AccountInput, now: number): Promise<Account> {
    return conflictsNamed(patch, () =>
      this.store.db.transaction().execute(async (trx) => {
        const existing = await this.byKey(trx, workspaceId, 'id', id);
        if (!existing) throw BatonError.notFound('account', id);
        return updateAccount(trx, workspaceId, existing, patch, now);
      }),
    );
  }

  /** Deletes the account; its contacts stay, unlinked. */
  async delete(workspaceId: string, id: string): Promise<void> {
    const r = await this.store.db
      .deleteFrom('accounts')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw BatonError.notFound('account', id);
  }

  /** One page in id (creation) order. */
  async list(workspaceId: string, filter: AccountFilter, page: PageRequest): Promise<Page<Account>> {
    let q = this.store.db.selectFrom('accounts').selectAll().where('workspace_id', '=', workspaceId);
    if (page.cursor !== undefined) q = q.where('id', '>', decodeCursor(page.cursor));
    if (filter.domain !== undefined) q = q.where('domain', '=', normalizeDomain(filter.domain));
    if (filter.industry !== undefined) q = q.where('industry', '=', filter.industry);
    if (filter.owner !== undefined) q = q.where('owner', '=', filter.owner);
    const ownedBy = filter.ownedBy;
    if (ownedBy !== undefined) q = q.where((eb) => isOwnedBy(eb, ownedBy));
    if (filter.updated_since !== undefined) q = q.where('updated_at', '>=', filter.updated_since);
    if (filter.q !== undefined && filter.q.trim() !== '') {
      q = q.where(containsText(this.store, [sql.ref('name'), sql.ref('domain')], filter.q.trim()));
    }
    const rows = await q
      .orderBy('id')
      .limit(checkLimit(page.limit) + 1)
      .execute();
    return toPage(rows.map(toAccount), page.limit);
  }

  private byKey(
    db: Store['db'] | Trx,
    workspaceId: string,
    column: 'id' | 'domain' | 'external_id',
    value: string,
  ): Promise<AccountRow | undefined> {
    return db
      .selectFrom('accounts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where(column, '=', value)
      .executeTakeFirst();
  }
}

function requireKey(input: AccountInput): void {
  if (!input.domain && !input.external_id) {
    throw BatonError.invalid([{ path: 'domain', message: 'needs a domain or an external_id' }]);
  }
}

async function insertAccount(
  trx: Trx,
  workspaceId: string,
  input: AccountInput,
  now: number,
): Promise<Account> {
  const row = {
    id: newId('acc', now),
    workspace_id: workspaceId,
    external_id: input.external_id ?? null,
    domain: input.domain ?? null,
    name: input.name ?? null,
    industry: input.industry ?? null,
    size: input.size ?? null,
    owner: input.owner ?? null,
    owner_user_id: null,
    attributes: toJson(mergeAttributes({}, input.attributes)),
    created_at: now,
    updated_at: now,
  } satisfies AccountRow;
  await trx.insertInto('accounts').values(row).execute();
  if (row.domain) await adoptContacts(trx, workspaceId, row.id, row.domain, now);
  return toAccount(row);
}

async function updateAccount(
  trx: Trx,
  workspaceId: string,
  existing: AccountRow,
  patch: AccountInput,
  now: number,
): Promise<Account> {
  const next: AccountRow = { ...existing, updated_at: now };
  for (const field of FIELDS) {
    const v = patch[field];
    if (v !== undefined) (next as Record<string, unknown>)[field] = v;
  }
  if (!next.domain && !next.external_id) {
    throw BatonError.invalid([{ path: 'domain', message: 'cannot be removed while external_id is empty' }]);
  }
  const attributes = mergeAttributes(fromJson(existing.attributes, {}), patch.attributes);
  next.attributes = attributes;
  const { id: _id, workspace_id: _ws, created_at: _created, ...changes } = next;
  await trx
    .updateTable('accounts')
    .set({ ...changes, attributes: toJson(attributes) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', existing.id)
    .execute();
  if (next.domain && next.domain !== existing.domain) {
    await adoptContacts(trx, workspaceId, existing.id, next.domain, now);
  }
  return toAccount(next);
}

/** Links the workspace's contacts without an account whose email domain is `domain`. */
async function adoptContacts(
  trx: Trx,
  workspaceId: string,
  accountId: string,
  domain: string,
  now: number,
): Promise<void> {
  // Stored emails have lower-case domains and domains hold only [a-z0-9.-], so the pattern is literal.
  await trx
    .updateTable('contacts')
    .set({ account_id: accountId, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('account_id', 'is', null)
    .where('email', 'like', `%@${domain}`)
    .execute();
}

function conflict(field: string, value: unknown, reason?: string): BatonError {
  return new BatonError(
    'conflict',
    `${field}: an account with ${field} ${JSON.stringify(value)} already exists${reason ? ` (${reason})` : ''}`,
    { field },
  );
}

function asConflict(e: unknown, input: AccountInput): unknown {
  const column = uniqueViolationColumn(e);
  if (!column) return e;
  return conflict(column, (input as Record<string, unknown>)[column]);
}

async function conflictsNamed<T>(input: AccountInput, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw asConflict(e, input);
  }
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    external_id: row.external_id,
    domain: row.domain,
    name: row.name,
    industry: row.industry,
    size: row.size === null ? null : Number(row.size),
    owner: row.owner,
    attributes: fromJson(row.attributes, {}),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}
