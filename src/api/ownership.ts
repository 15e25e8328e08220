// What a sales rep may see: the contacts and accounts of the accounts they own, and what those contacts
// did (other roles see all). Routes that show people outside that reach either filter by it here or refuse
// sales reps (`PEOPLE_WIDE_ROLES`); docs/decisions/0023-sales-rep-reach-and-shared-limits.md has the list.
import type { FastifyRequest } from 'fastify';
import type { ExpressionBuilder } from 'kysely';
import { BatonError } from '../domain/errors.js';
import type { Role } from '../domain/roles.js';
import {
  ownedAccountIds,
  ownedContactIds,
  ownsAccount,
  type AccountOwner,
} from '../store/account-ownership.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/db.js';
import { UsersRepository } from '../store/users.repository.js';
import { rolesWithScope } from './permissions.js';

/**
 * The roles allowed on a read route whose answer names people across the whole workspace and cannot be cut
 * down to a sales rep's accounts (exports, suppressions, audience samples): `read` minus sales reps.
 */
export const PEOPLE_WIDE_ROLES: readonly Role[] = rolesWithScope('read').filter((r) => r !== 'sales_rep');

/** The owner to filter by when a sales rep is signed in; undefined for every other caller. */
export async function salesRepOwner(store: Store, req: FastifyRequest): Promise<AccountOwner | undefined> {
  const auth = req.auth;
  if (auth?.role !== 'sales_rep' || !auth.userId) return undefined;
  const user = await new UsersRepository(store).get(auth.workspaceId, auth.userId);
  if (!user) throw new BatonError('unauthorized', 'the signed-in user no longer exists');
  return { userId: user.id, email: user.email };
}

/** Refuses, exactly like a missing id, an account the sales rep does not own. */
export async function checkOwned(
  store: Store,
  req: FastifyRequest,
  what: string,
  id: string,
  accountId: string | null,
): Promise<void> {
  const owner = await salesRepOwner(store, req);
  if (owner && !(await ownsAccount(store.db, req.auth!.workspaceId, accountId, owner))) {
    throw BatonError.notFound(what, id);
  }
}

/** Refuses, exactly like a missing id, a contact outside the sales rep's accounts (by id alone). */
export async function checkOwnedContact(store: Store, req: FastifyRequest, contactId: string): Promise<void> {
  const owner = await salesRepOwner(store, req);
  if (!owner) return;
  const workspaceId = req.auth!.workspaceId;
  const row = await store.db
    .selectFrom('contacts')
    .select('account_id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!row || !(await ownsAccount(store.db, workspaceId, row.account_id, owner))) {
    throw BatonError.notFound('contact', contactId);
  }
}

/**
 * The events a sales rep may see, as a where clause: those of the contacts of their accounts, and those
 * recorded on their accounts (group calls, deals). Undefined for every other caller.
 */
export async function visibleEvents(store: Store, req: FastifyRequest) {
  const owner = await salesRepOwner(store, req);
  if (!owner) return undefined;
  const workspaceId = req.auth!.workspaceId;
  return (eb: ExpressionBuilder<Database, 'events'>) =>
    eb.or([
      eb('events.contact_id', 'in', ownedContactIds(store.db, workspaceId, owner)),
      eb('events.account_id', 'in', ownedAccountIds(store.db, workspaceId, owner)),
    ]);
}
