// A signed-in sales rep sees the contacts and accounts of the accounts they own (by owner_user_id, or the
// imported owner naming their email), what those contacts did (events, timelines, list memberships), and
// nothing else — another account's contact answers 404 like a missing one, and the routes whose answer
// names people across the workspace answer 403; a marketer sees everything. Both dialects.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { ListsRepository } from '../../src/store/lists.repository.js';
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

  async function fixture() {
    const ws = await newWorkspace(store, T0);
    const users = new UsersRepository(store);
    const session = async (name: string, role: Role) => {
      const email = `${name}-${ws}@example.com`;
      const u = await users.create(ws, { email, password, role }, T0);
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
      const pairs = (res.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]!);
      const csrf = pairs.find((p) => p.startsWith('baton_csrf='))!.slice('baton_csrf='.length);
      // The CSRF header lets the POST routes below reach their role check.
      return { user: u, headers: { cookie: pairs.join('; '), 'x-csrf-token': csrf } };
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
    const get = (who: { headers: Record<string, string> }, url: string) =>
      app.inject({ method: 'GET', url: `/api/v1${url}`, headers: who.headers });
    return { ws, rep, other, marketer, byText, byId, theirs, mine1, mine2, notMine, loose, get };
  }

  const ids = (res: { json(): unknown }) => (res.json() as { data: { id: string }[] }).data.map((r) => r.id);

  it('lists and reads only the owned accounts and their contacts', async () => {
    const { rep, other, marketer, byText, byId, theirs, mine1, mine2, notMine, loose, get } = await fixture();
    expect(notMine.account_id).toBe(theirs.id);

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

  it("sees only the events, timelines and list members of the owned accounts' contacts", async () => {
    const f = await fixture();
    const { ws, rep, other, marketer } = f;
    const at = T0 - 60_000;
    const ev = (type: string, contactId: string | null, accountId: string | null = null) => ({
      workspaceId: ws,
      type,
      occurredAt: at,
      receivedAt: at,
      contactId,
      accountId,
    });
    await appendEvents(store.db, [
      ev('demo_booked', f.mine1.id),
      ev('demo_booked', f.notMine.id),
      ev('page', f.loose.id),
      ev('group', null, f.byId.id),
      ev('group', null, f.theirs.id),
    ]);
    const events = async (who: typeof rep, query = '') =>
      ((await f.get(who, `/events${query}`)).json() as { data: { contact_id: string; account_id: string }[] })
        .data;
    const mine = await events(rep);
    expect(mine.map((e) => e.contact_id ?? e.account_id).sort()).toEqual([f.mine1.id, f.byId.id].sort());
    expect((await events(other)).map((e) => e.contact_id ?? e.account_id).sort()).toEqual(
      [f.notMine.id, f.theirs.id].sort(),
    );
    expect(await events(marketer)).toHaveLength(5);
    // Naming another rep's contact in the filter finds nothing, as for a contact that does not exist.
    expect(await events(rep, `?contact=${f.notMine.id}`)).toEqual([]);
    // Paging through the filtered events still reaches them all.
    const first = (await f.get(rep, '/events?limit=1')).json() as { data: unknown[]; next_cursor: string };
    expect(first.data).toHaveLength(1);
    const second = (
      await f.get(rep, `/events?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`)
    ).json() as { data: unknown[]; next_cursor: string | null };
    expect(second.data).toHaveLength(1);

    // A contact's timeline: their own contact's, 404 for another's (same answer as a missing id).
    const timeline = await f.get(rep, `/contacts/${f.mine1.id}/timeline`);
    expect(timeline.statusCode).toBe(200);
    expect((timeline.json() as { items: { type: string }[] }).items.map((i) => i.type)).toContain(
      'demo_booked',
    );
    for (const id of [f.notMine.id, f.loose.id, 'ct_missing']) {
      const res = await f.get(rep, `/contacts/${id}/timeline`);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await f.get(marketer, `/contacts/${f.notMine.id}/timeline`)).statusCode).toBe(200);
    expect((await f.get(rep, `/journey/accounts/${f.theirs.id}/timeline`)).statusCode).toBe(404);
    expect((await f.get(rep, `/journey/accounts/${f.byId.id}/timeline`)).statusCode).toBe(200);

    // List members: the rep's contacts (or accounts) only; the counts stay the workspace's aggregates.
    const lists = new ListsRepository(store);
    const people = await lists.create(ws, { name: 'webinar', kind: 'contact' }, T0);
    await lists.addMembers(ws, people.id, [f.mine1.id, f.mine2.id, f.notMine.id, f.loose.id], T0);
    const targets = await lists.create(ws, { name: 'tier 1', kind: 'account' }, T0);
    await lists.addMembers(ws, targets.id, [f.byText.id, f.theirs.id], T0);
    const members = async (who: typeof rep, id: string, query = '') =>
      ((await f.get(who, `/lists/${id}/members${query}`)).json() as { data: string[]; next?: string }).data;
    expect((await members(rep, people.id)).sort()).toEqual([f.mine1.id, f.mine2.id].sort());
    expect(await members(other, people.id)).toEqual([f.notMine.id]);
    expect(await members(marketer, people.id)).toHaveLength(4);
    expect(await members(rep, targets.id)).toEqual([f.byText.id]);
    const page1 = (await f.get(rep, `/lists/${people.id}/members?limit=1`)).json() as {
      data: string[];
      next?: string;
    };
    expect(page1.data).toHaveLength(1);
    expect(await members(rep, people.id, `?limit=1&after=${page1.next}`)).toHaveLength(1);

    // Rendering a template for another rep's contact: 404 before any template is read.
    const render = await app.inject({
      method: 'POST',
      url: '/api/v1/templates/templates%2Fmissing.mjml/render',
      headers: rep.headers,
      payload: { contact_id: f.notMine.id },
    });
    expect(render.statusCode).toBe(404);
    expect(render.json().error.message).toContain(f.notMine.id);

    // Workspace-wide people data is not a sales rep's: 403 (the route exists for every caller).
    for (const [method, url, payload] of [
      ['GET', '/suppressions', undefined],
      ['POST', '/segments/preview', { segment: { attribute: 'email', op: 'exists' } }],
      ['GET', '/audiences/aud_x/export?format=google', undefined],
    ] as const) {
      const res = await app.inject({ method, url: `/api/v1${url}`, headers: rep.headers, payload });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.message).toContain('sales_rep role may not');
    }
    expect((await f.get(marketer, '/suppressions')).statusCode).toBe(200);
  });
});
