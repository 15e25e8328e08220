// A signed-in sales rep sees the contacts and accounts of the accounts they own (by owner_user_id, or the
// imported owner naming their email), and nothing else — another account's contact answers like a missing
// one; a marketer sees everything. Both dialects.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { apiFor, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const password = 'correct horse battery';

describe.each(dialects)('sales rep scope on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('lists and reads only the owned accounts and their contacts', async () => {
    const ws = await newWorkspace(store, T0);
    const users = new UsersRepository(store);
    const session = async (name: string, role: Role) => {
      const email = `${name}-${ws}@example.com`;
      const u = await users.create(ws, { email, password, role }, T0);
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
      const cookie = (res.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
      return { user: u, headers: { cookie } };
    };
    const rep = await session('sam', 'sales_rep');
    const other = await session('sue', 'sales_rep');
    const marketer = await session('max', 'marketer');

    const accounts = new AccountsRepository(store);
    // Owned by the imported owner text (the rep's email, in another case) and by owner_user_id.
    const byText = await accounts.create(ws, { domain: `a.test`, owner: rep.user.email.toUpperCase() }, T0);
    const byId = await accounts.create(ws, { domain: `b.test` }, T0);
    await store.db
      .updateTable('accounts')
      .set({ owner_user_id: rep.user.id })
      .where('id', '=', byId.id)
      .execute();
    const theirs = await accounts.create(ws, { domain: `c.test`, owner: other.user.email }, T0);
    const contacts = new ContactsRepository(store);
    const mine1 = await contacts.create(ws, { email: `p1@a.test`, account_id: byText.id }, T0);
    const mine2 = await contacts.create(ws, { email: `p2@b.test`, account_id: byId.id }, T0);
    const notMine = await contacts.create(ws, { email: `p3@c.test`, account_id: theirs.id }, T0);
    const loose = await contacts.create(ws, { email: `p4@nowhere.test` }, T0);
    expect(notMine.account_id).toBe(theirs.id);

    const get = (who: { headers: Record<string, string> }, url: string) =>
      app.inject({ method: 'GET', url: `/api/v1${url}`, headers: who.headers });
    const ids = (res: { json(): unknown }) =>
      (res.json() as { data: { id: string }[] }).data.map((r) => r.id);

    expect(ids(await get(rep, '/contacts')).sort()).toEqual([mine1.id, mine2.id].sort());
    expect(ids(await get(rep, '/accounts')).sort()).toEqual([byText.id, byId.id].sort());
    expect(ids(await get(other, '/contacts'))).toEqual([notMine.id]);
    expect(ids(await get(marketer, '/contacts'))).toHaveLength(4);

    expect((await get(rep, `/contacts/${mine2.id}`)).statusCode).toBe(200);
    for (const id of [notMine.id, loose.id]) {
      const res = await get(rep, `/contacts/${id}`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await get(rep, `/accounts/${theirs.id}`)).statusCode).toBe(404);
    expect((await get(marketer, `/contacts/${notMine.id}`)).statusCode).toBe(200);
    // Writing contacts is not a sales rep's: the role check answers 403.
    const write = await app.inject({
      method: 'DELETE',
      url: `/api/v1/contacts/${mine1.id}`,
      headers: rep.headers,
    });
    expect(write.statusCode).toBe(403);
  });
});
