import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { ContactsRepository } from '../src/store/contacts.repository.js';
import { AccountsRepository } from '../src/store/accounts.repository.js';
import { accountCreateSchema, contactCreateSchema, contactInputSchema } from '../src/domain/contact.js';
import { BatonError } from '../src/domain/errors.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
/** Input as callers pass it: parsed (and normalised) by the domain schemas. */
const contact = (raw: unknown) => contactCreateSchema.parse(raw);
const patch = (raw: unknown) => contactInputSchema.parse(raw);
const account = (raw: unknown) => accountCreateSchema.parse(raw);

async function failure(p: Promise<unknown>): Promise<BatonError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BatonError) return e;
    throw e;
  }
  throw new Error('expected a BatonError, the call succeeded');
}

describe.each(dialects)('contacts repository on %s', (dialect) => {
  let store: TestStore;
  let contacts: ContactsRepository;
  let accounts: AccountsRepository;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    contacts = new ContactsRepository(store);
    accounts = new AccountsRepository(store);
  });
  afterAll(() => store.dispose());

  it('creates a contact with a normalised email and reads it back only in its workspace', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const created = await contacts.create(
      ws,
      contact({
        email: '  Ada.Lovelace@Example.COM ',
        first_name: 'Ada',
        time_zone: 'Europe/London',
        lifecycle_stage: 'lead',
        sms_consent: true,
        attributes: { plan: 'pro', seats: 3 },
      }),
      T0,
    );
    expect(created.id).toMatch(/^con_/);
    expect(created.email).toBe('Ada.Lovelace@example.com');
    expect(created).toMatchObject({
      first_name: 'Ada',
      last_name: null,
      time_zone: 'Europe/London',
      lifecycle_stage: 'lead',
      subscription_status: 'subscribed',
      sms_consent: true,
      attributes: { plan: 'pro', seats: 3 },
      created_at: T0,
      updated_at: T0,
    });
    expect(await contacts.get(ws, created.id)).toEqual(created);
    expect((await contacts.findByEmail(ws, ' Ada.Lovelace@EXAMPLE.com '))?.id).toBe(created.id);
    expect(await contacts.find(other, created.id)).toBeUndefined();
    expect((await failure(contacts.get(other, created.id))).code).toBe('not_found');
  });

  it('refuses a second contact with the same email or external id, naming the field', async () => {
    const ws = await newWorkspace(store);
    await contacts.create(ws, contact({ email: 'grace@navy.mil', external_id: 'u-1' }), T0);
    const byEmail = await failure(contacts.create(ws, contact({ email: 'grace@NAVY.mil' }), T0));
    expect(byEmail.code).toBe('conflict');
    expect(byEmail.details).toEqual({ field: 'email' });
    expect(byEmail.message).toContain('grace@navy.mil');
    const byExternal = await failure(contacts.create(ws, contact({ external_id: 'u-1' }), T0));
    expect(byExternal.code).toBe('conflict');
    expect(byExternal.details).toEqual({ field: 'external_id' });
    // Keys are unique per workspace, not across workspaces.
    const other = await newWorkspace(store);
    await expect(contacts.create(other, contact({ email: 'grace@navy.mil' }), T0)).resolves.toBeTruthy();
    expect(await contacts.count(ws)).toBe(1);
  });

  it('needs an email or an external id', async () => {
    const ws = await newWorkspace(store);
    const e = await failure(contacts.create(ws, patch({ first_name: 'Nobody' }), T0));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ issues: [{ path: 'email', message: 'needs an email or an external_id' }] });
  });

  it('upserts by email: creates, then merges into the same contact', async () => {
    const ws = await newWorkspace(store);
    const first = await contacts.upsert(
      ws,
      contact({ email: 'lin@acme.io', first_name: 'Lin', attributes: { a: 1, b: 2 } }),
      T0,
    );
    expect(first.created).toBe(true);
    const second = await contacts.upsert(
      ws,
      contact({ email: 'lin@ACME.io', title: 'CTO', attributes: { b: null, c: 3 } }),
      T0 + 1000,
    );
    expect(second.created).toBe(false);
    expect(second.contact).toMatchObject({
      id: first.contact.id,
      first_name: 'Lin',
      title: 'CTO',
      attributes: { a: 1, c: 3 },
      created_at: T0,
      updated_at: T0 + 1000,
    });
    expect(await contacts.get(ws, first.contact.id)).toEqual(second.contact);
    expect(await contacts.count(ws)).toBe(1);
  });

  it('upserts by external id first, and refuses keys that point at two different contacts', async () => {
    const ws = await newWorkspace(store);
    const a = await contacts.create(ws, contact({ external_id: 'crm-7', email: 'old@acme.io' }), T0);
    const moved = await contacts.upsert(ws, contact({ external_id: 'crm-7', email: 'new@acme.io' }), T0 + 1);
    expect(moved).toMatchObject({ created: false, contact: { id: a.id, email: 'new@acme.io' } });

    const b = await contacts.create(ws, contact({ email: 'b@acme.io' }), T0);
    const clash = await failure(
      contacts.upsert(ws, contact({ external_id: 'crm-7', email: 'b@acme.io' }), T0),
    );
    expect(clash.code).toBe('conflict');
    expect(clash.details).toEqual({ field: 'email' });

    await contacts.update(ws, b.id, patch({ external_id: 'crm-8' }), T0);
    const other = await failure(
      contacts.upsert(ws, contact({ external_id: 'crm-9', email: 'b@acme.io' }), T0),
    );
    expect(other.code).toBe('conflict');
    expect(other.details).toEqual({ field: 'external_id' });
    expect(await contacts.count(ws)).toBe(2);
  });

  it('creates one contact when many upserts of one email race', async () => {
    const ws = await newWorkspace(store);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        contacts.upsert(ws, contact({ email: 'race@acme.io', attributes: { [`k${i}`]: i } }), T0 + i),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.contact.id)).size).toBe(1);
    expect(await contacts.count(ws)).toBe(1);
  });

  it('links a contact to its account by id, by domain, or by the email domain', async () => {
    const ws = await newWorkspace(store);
    const acme = await accounts.create(ws, account({ domain: 'acme.com', name: 'Acme' }), T0);
    const globex = await accounts.create(ws, account({ domain: 'globex.com' }), T0);

    const byEmail = await contacts.create(ws, contact({ email: 'wile@ACME.com' }), T0);
    expect(byEmail.account_id).toBe(acme.id);
    const sub = await contacts.create(ws, contact({ email: 'x@eu.acme.com' }), T0);
    expect(sub.account_id).toBeNull();
    const byId = await contacts.create(ws, contact({ email: 'hank@acme.com', account_id: globex.id }), T0);
    expect(byId.account_id).toBe(globex.id);
    const byDomain = await contacts.create(
      ws,
      contact({ external_id: 'p-1', account_domain: 'https://www.Globex.com/about' }),
      T0,
    );
    expect(byDomain.account_id).toBe(globex.id);

    // An unlinked contact whose email moves to an account's domain follows it; a linked one keeps its link.
    const moved = await contacts.update(ws, sub.id, patch({ email: 'x@globex.com' }), T0 + 1);
    expect(moved.account_id).toBe(globex.id);
    const kept = await contacts.update(ws, byId.id, patch({ email: 'hank@acme.com.au' }), T0 + 1);
    expect(kept.account_id).toBe(globex.id);
    const unlinked = await contacts.update(ws, byId.id, patch({ account_id: null }), T0 + 2);
    expect(unlinked.account_id).toBeNull();
    expect((await contacts.get(ws, byId.id)).account_id).toBeNull();
  });

  it('refuses a link to an account that is not in the workspace', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const foreign = await accounts.create(other, account({ domain: 'foreign.com' }), T0);
    const byId = await failure(contacts.create(ws, contact({ email: 'a@b.co', account_id: foreign.id }), T0));
    expect(byId.code).toBe('invalid_input');
    expect(byId.message).toMatch(/^account_id: /);
    const byDomain = await failure(
      contacts.create(ws, contact({ email: 'a@b.co', account_domain: 'foreign.com' }), T0),
    );
    expect(byDomain.code).toBe('invalid_input');
    expect(byDomain.message).toMatch(/^account_domain: /);
    // Linking by email domain never reaches into another workspace either.
    expect((await contacts.create(ws, contact({ email: 'c@foreign.com' }), T0)).account_id).toBeNull();
    expect(await contacts.count(ws)).toBe(1);
  });

  it('updates only the given fields and never another workspace', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const c = await contacts.create(
      ws,
      contact({ email: 'm@acme.io', first_name: 'Mo', phone: '+49 30 1234567', attributes: { x: 1 } }),
      T0,
    );
    const u = await contacts.update(
      ws,
      c.id,
      patch({ last_name: 'Salah', subscription_status: 'unsubscribed', phone: null, attributes: { y: 2 } }),
      T0 + 5,
    );
    expect(u).toEqual({
      ...c,
      last_name: 'Salah',
      subscription_status: 'unsubscribed',
      phone: null,
      attributes: { x: 1, y: 2 },
      updated_at: T0 + 5,
    });
    expect(await contacts.get(ws, c.id)).toEqual(u);
    expect((await failure(contacts.update(other, c.id, patch({ title: 'x' }), T0))).code).toBe('not_found');
    expect((await contacts.get(ws, c.id)).title).toBeNull();
    const keyless = await failure(contacts.update(ws, c.id, patch({ email: null }), T0));
    expect(keyless.code).toBe('invalid_input');
  });

  it('refuses an update that takes another contact’s email', async () => {
    const ws = await newWorkspace(store);
    await contacts.create(ws, contact({ email: 'taken@acme.io' }), T0);
    const c = await contacts.create(ws, contact({ email: 'free@acme.io' }), T0);
    const e = await failure(contacts.update(ws, c.id, patch({ email: 'taken@acme.io' }), T0));
    expect(e.code).toBe('conflict');
    expect(e.details).toEqual({ field: 'email' });
    expect((await contacts.get(ws, c.id)).email).toBe('free@acme.io');
  });

  it('deletes within the workspace only', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const c = await contacts.create(ws, contact({ email: 'gone@acme.io' }), T0);
    expect((await failure(contacts.delete(other, c.id))).code).toBe('not_found');
    expect(await contacts.find(ws, c.id)).toBeDefined();
    await contacts.delete(ws, c.id);
    expect(await contacts.find(ws, c.id)).toBeUndefined();
    expect((await failure(contacts.delete(ws, c.id))).code).toBe('not_found');
  });

  it('pages through every contact once, in creation order', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    await contacts.create(other, contact({ email: 'noise@acme.io' }), T0);
    const made: string[] = [];
    for (let i = 0; i < 7; i++)
      made.push((await contacts.create(ws, contact({ email: `p${i}@a.io` }), T0 + i)).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await contacts.list(ws, {}, { limit: 3, cursor });
      seen.push(...page.data.map((c) => c.id));
      sizes.push(page.data.length);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(made);
    const exact = await contacts.list(ws, {}, { limit: 7 });
    expect(exact.next_cursor).toBeNull();
    const bad = await failure(contacts.list(ws, {}, { limit: 3, cursor: 'not-a-cursor' }));
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toMatch(/^cursor: /);
  });

  it('filters by email, stage, account, subscription, text and update time', async () => {
    const ws = await newWorkspace(store);
    const acme = await accounts.create(ws, account({ domain: 'acme.com' }), T0);
    const ada = await contacts.create(
      ws,
      contact({ email: 'ada@acme.com', first_name: 'Ada', last_name: 'Lovelace', lifecycle_stage: 'mql' }),
      T0,
    );
    const alan = await contacts.create(
      ws,
      contact({
        email: 'alan@bletchley.uk',
        first_name: 'Alan',
        last_name: 'Turing',
        lifecycle_stage: 'lead',
      }),
      T0,
    );
    const pct = await contacts.create(ws, contact({ email: 'pct@off.io', first_name: '100%' }), T0);
    await contacts.update(ws, alan.id, patch({ subscription_status: 'unsubscribed' }), T0 + 60_000);
    const ids = async (filter: Parameters<ContactsRepository['list']>[1]) =>
      (await contacts.list(ws, filter, { limit: 50 })).data.map((c) => c.id);

    expect(await ids({ email: ' ada@ACME.com' })).toEqual([ada.id]);
    expect(await ids({ lifecycle_stage: 'lead' })).toEqual([alan.id]);
    expect(await ids({ account_id: acme.id })).toEqual([ada.id]);
    expect(await ids({ subscription_status: 'unsubscribed' })).toEqual([alan.id]);
    expect(await ids({ subscription_status: 'subscribed' })).toEqual([ada.id, pct.id]);
    expect(await ids({ q: 'ada LOVE' })).toEqual([ada.id]);
    expect(await ids({ q: 'turing' })).toEqual([alan.id]);
    expect(await ids({ q: 'bletchley' })).toEqual([alan.id]);
    expect(await ids({ q: '%' })).toEqual([pct.id]);
    expect(await ids({ q: 'a_a' })).toEqual([]);
    expect(await ids({ updated_since: T0 + 1 })).toEqual([alan.id]);
    expect(await ids({ lifecycle_stage: 'mql', q: 'alan' })).toEqual([]);
  });

  it('searches text case-insensitively beyond ASCII, the same on both dialects', async () => {
    const ws = await newWorkspace(store);
    const elodie = await contacts.create(
      ws,
      contact({ email: 'E.Oz@acme.io', first_name: 'Élodie', last_name: 'ÖZTÜRK' }),
      T0,
    );
    await contacts.create(ws, contact({ email: 'eo@acme.io', first_name: 'Elodie' }), T0);
    const ids = async (q: string) => (await contacts.list(ws, { q }, { limit: 50 })).data.map((c) => c.id);
    expect(await ids('élodie öz')).toEqual([elodie.id]);
    expect(await ids('Öztürk')).toEqual([elodie.id]);
    expect(await ids('e.oz@')).toEqual([elodie.id]);
  });
});
