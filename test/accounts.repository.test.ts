import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { AccountsRepository } from '../src/store/accounts.repository.js';
import { ContactsRepository } from '../src/store/contacts.repository.js';
import { accountCreateSchema, accountInputSchema, contactCreateSchema } from '../src/domain/contact.js';
import { BatonError } from '../src/domain/errors.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const account = (raw: unknown) => accountCreateSchema.parse(raw);
const patch = (raw: unknown) => accountInputSchema.parse(raw);
const contact = (raw: unknown) => contactCreateSchema.parse(raw);

async function failure(p: Promise<unknown>): Promise<BatonError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BatonError) return e;
    throw e;
  }
  throw new Error('expected a BatonError, the call succeeded');
}

describe.each(dialects)('accounts repository on %s', (dialect) => {
  let store: TestStore;
  let accounts: AccountsRepository;
  let contacts: ContactsRepository;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    accounts = new AccountsRepository(store);
    contacts = new ContactsRepository(store);
  });
  afterAll(() => store.dispose());

  it('creates an account with a normalised domain and reads it back only in its workspace', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const a = await accounts.create(
      ws,
      account({
        domain: 'https://www.Acme.com/pricing',
        name: 'Acme',
        industry: 'SaaS',
        size: 250,
        owner: 'kim',
      }),
      T0,
    );
    expect(a).toEqual({
      id: expect.stringMatching(/^acc_/) as string,
      external_id: null,
      domain: 'acme.com',
      name: 'Acme',
      industry: 'SaaS',
      size: 250,
      owner: 'kim',
      attributes: {},
      created_at: T0,
      updated_at: T0,
    });
    expect(await accounts.get(ws, a.id)).toEqual(a);
    expect((await accounts.findByDomain(ws, 'ACME.com'))?.id).toBe(a.id);
    expect(await accounts.find(other, a.id)).toBeUndefined();
    expect((await failure(accounts.get(other, a.id))).code).toBe('not_found');
  });

  it('refuses a second account with the same domain or external id, naming the field', async () => {
    const ws = await newWorkspace(store);
    await accounts.create(ws, account({ domain: 'acme.com', external_id: 'sf-1' }), T0);
    const byDomain = await failure(accounts.create(ws, account({ domain: 'www.acme.com' }), T0));
    expect(byDomain.code).toBe('conflict');
    expect(byDomain.details).toEqual({ field: 'domain' });
    const byExternal = await failure(accounts.create(ws, account({ external_id: 'sf-1' }), T0));
    expect(byExternal.code).toBe('conflict');
    expect(byExternal.details).toEqual({ field: 'external_id' });
    const other = await newWorkspace(store);
    await expect(accounts.create(other, account({ domain: 'acme.com' }), T0)).resolves.toBeTruthy();
    expect(await accounts.count(ws)).toBe(1);
  });

  it('upserts by external id, then by domain, and refuses keys of two different accounts', async () => {
    const ws = await newWorkspace(store);
    const first = await accounts.upsert(ws, account({ domain: 'acme.com', attributes: { tier: 1 } }), T0);
    expect(first.created).toBe(true);
    const byDomain = await accounts.upsert(ws, account({ domain: 'acme.com', external_id: 'sf-1' }), T0 + 1);
    expect(byDomain).toMatchObject({
      created: false,
      account: { id: first.account.id, external_id: 'sf-1', attributes: { tier: 1 }, updated_at: T0 + 1 },
    });
    const byExternal = await accounts.upsert(ws, account({ external_id: 'sf-1', name: 'Acme Inc' }), T0 + 2);
    expect(byExternal).toMatchObject({
      created: false,
      account: { id: first.account.id, domain: 'acme.com', name: 'Acme Inc' },
    });
    await accounts.create(ws, account({ domain: 'globex.com' }), T0);
    const clash = await failure(
      accounts.upsert(ws, account({ external_id: 'sf-1', domain: 'globex.com' }), T0),
    );
    expect(clash.code).toBe('conflict');
    expect(clash.details).toEqual({ field: 'domain' });
    const renamed = await failure(
      accounts.upsert(ws, account({ external_id: 'sf-2', domain: 'acme.com' }), T0),
    );
    expect(renamed.code).toBe('conflict');
    expect(renamed.details).toEqual({ field: 'external_id' });
    expect(await accounts.count(ws)).toBe(2);
  });

  it('adopts the unlinked contacts of its domain when created or given a domain', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const globex = await accounts.create(ws, account({ domain: 'globex.com' }), T0);
    const loose = await contacts.create(ws, contact({ email: 'a@acme.com' }), T0);
    const linked = await contacts.create(ws, contact({ email: 'b@acme.com', account_id: globex.id }), T0);
    const subdomain = await contacts.create(ws, contact({ email: 'c@eu.acme.com' }), T0);
    const foreign = await contacts.create(other, contact({ email: 'd@acme.com' }), T0);

    const acme = await accounts.create(ws, account({ domain: 'acme.com' }), T0 + 10);
    expect(await contacts.get(ws, loose.id)).toMatchObject({ account_id: acme.id, updated_at: T0 + 10 });
    expect((await contacts.get(ws, linked.id)).account_id).toBe(globex.id);
    expect((await contacts.get(ws, subdomain.id)).account_id).toBeNull();
    expect((await contacts.get(other, foreign.id)).account_id).toBeNull();

    const eu = await accounts.create(ws, account({ external_id: 'eu' }), T0);
    await accounts.update(ws, eu.id, patch({ domain: 'eu.acme.com' }), T0 + 20);
    expect((await contacts.get(ws, subdomain.id)).account_id).toBe(eu.id);
  });

  it('updates only the given fields, never another workspace, and deletes leaving contacts unlinked', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const a = await accounts.create(
      ws,
      account({ domain: 'acme.com', name: 'Acme', attributes: { x: 1 } }),
      T0,
    );
    const u = await accounts.update(
      ws,
      a.id,
      patch({ industry: 'Retail', name: '', attributes: { x: null } }),
      T0 + 1,
    );
    expect(u).toEqual({ ...a, industry: 'Retail', name: null, attributes: {}, updated_at: T0 + 1 });
    expect(await accounts.get(ws, a.id)).toEqual(u);
    expect((await failure(accounts.update(other, a.id, patch({ name: 'x' }), T0))).code).toBe('not_found');
    expect((await failure(accounts.update(ws, a.id, patch({ domain: null }), T0))).code).toBe(
      'invalid_input',
    );

    const c = await contacts.create(ws, contact({ email: 'wile@acme.com' }), T0);
    expect(c.account_id).toBe(a.id);
    expect((await failure(accounts.delete(other, a.id))).code).toBe('not_found');
    await accounts.delete(ws, a.id);
    expect(await accounts.find(ws, a.id)).toBeUndefined();
    expect((await contacts.get(ws, c.id)).account_id).toBeNull();
    expect((await failure(accounts.delete(ws, a.id))).code).toBe('not_found');
  });

  it('pages and filters by domain, industry, owner, text and update time', async () => {
    const ws = await newWorkspace(store);
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await accounts.create(
          ws,
          account({
            domain: `firm${i}.com`,
            name: `Firm ${i}`,
            industry: i % 2 ? 'SaaS' : 'Retail',
            owner: i === 3 ? 'kim' : null,
          }),
          T0 + i,
        ),
      );
    }
    await accounts.update(ws, made[4]!.id, patch({ name: 'Umbrella Corp' }), T0 + 60_000);
    const ids = async (filter: Parameters<AccountsRepository['list']>[1]) =>
      (await accounts.list(ws, filter, { limit: 50 })).data.map((a) => a.id);

    const p1 = await accounts.list(ws, {}, { limit: 2 });
    const p2 = await accounts.list(ws, {}, { limit: 2, cursor: p1.next_cursor! });
    const p3 = await accounts.list(ws, {}, { limit: 2, cursor: p2.next_cursor! });
    expect([...p1.data, ...p2.data, ...p3.data].map((a) => a.id)).toEqual(made.map((a) => a.id));
    expect(p3.next_cursor).toBeNull();

    expect(await ids({ domain: 'WWW.firm2.com' })).toEqual([made[2]!.id]);
    expect(await ids({ industry: 'SaaS' })).toEqual([made[1]!.id, made[3]!.id]);
    expect(await ids({ owner: 'kim' })).toEqual([made[3]!.id]);
    expect(await ids({ q: 'umbrella' })).toEqual([made[4]!.id]);
    expect(await ids({ q: 'FIRM1' })).toEqual([made[1]!.id]);
    const munchen = await accounts.create(ws, account({ external_id: 'm', name: 'MÜNCHENER Rück' }), T0 + 9);
    expect(await ids({ q: 'münchener rü' })).toEqual([munchen.id]);
    expect(await ids({ updated_since: T0 + 1000 })).toEqual([made[4]!.id]);
    expect(await ids({ industry: 'SaaS', q: 'umbrella' })).toEqual([]);
  });
});
