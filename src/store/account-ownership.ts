// Which accounts a user owns: `owner_user_id` is the user, or the owner text (as imported from a CRM)
// names their email or id, the same match tasks use for `account.owner`.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AccountOwner {
  userId: string;
  email: string;
}

export function isOwnedBy(eb: ExpressionBuilder<Database, 'accounts'>, owner: AccountOwner) {
  return eb.or([
    eb('accounts.owner_user_id', '=', owner.userId),
    eb(sql<string>`lower(accounts.owner)`, '=', owner.email.toLowerCase()),
    eb('accounts.owner', '=', owner.userId),
  ]);
}

/** The ids of the workspace's accounts the user owns, as a subquery. */
export function ownedAccountIds(db: Kysely<Database>, workspaceId: string, owner: AccountOwner) {
  return db
    .selectFrom('accounts')
    .select('accounts.id')
    .where('accounts.workspace_id', '=', workspaceId)
    .where((eb) => isOwnedBy(eb, owner));
}

export async function ownsAccount(
  db: Kysely<Database>,
  workspaceId: string,
  accountId: string | null,
  owner: AccountOwner,
): Promise<boolean> {
  if (!accountId) return false;
  const row = await ownedAccountIds(db, workspaceId, owner)
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The ids of the workspace's contacts whose account the user owns, as a subquery. */
export function ownedContactIds(db: Kysely<Database>, workspaceId: string, owner: AccountOwner) {
  return db
    .selectFrom('contacts')
    .select('contacts.id')
    .where('contacts.workspace_id', '=', workspaceId)
    .where('contacts.account_id', 'in', ownedAccountIds(db, workspaceId, owner));
}
