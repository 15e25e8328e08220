// What a sales rep may see: the contacts and accounts of the accounts they own (other roles see all).
import type { FastifyRequest } from 'fastify';
import { BatonError } from '../domain/errors.js';
import { ownsAccount, type AccountOwner } from '../store/account-ownership.js';
import type { Store } from '../store/db.js';
import { UsersRepository } from '../store/users.repository.js';

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
  what: 'contact' | 'account',
  id: string,
  accountId: string | null,
): Promise<void> {
  const owner = await salesRepOwner(store, req);
  if (owner && !(await ownsAccount(store.db, req.auth!.workspaceId, accountId, owner))) {
    throw BatonError.notFound(what, id);
  }
}
