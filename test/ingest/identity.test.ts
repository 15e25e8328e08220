// Identity through ingestion: user ids resolve to imported contacts, anonymous profiles merge into the
// identified contact (events kept), identify by an email Baton already knows merges into that contact,
// and group links the account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { identitiesOf } from '../../src/store/identity.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('identity from tracking calls on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());
  beforeAll(async () => {
    fx = await ingestFixture(store, new SimulatedClock(NOW), NOW);
  });
  afterAll(() => fx.app.close());

  const batch = async (messages: unknown[]) => {
    const res = await fx.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: fx.basic, 'content-type': 'application/json' },
      payload: JSON.stringify({ batch: messages }),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const eventsOf = (contactId: string) =>
    store.db
      .selectFrom('events')
      .select(['type', 'contact_id'])
      .where('workspace_id', '=', fx.ws)
      .where('contact_id', '=', contactId)
      .execute();

  it('resolves a user id to the contact imported with that external id', async () => {
    const contacts = new ContactsRepository(store);
    const imported = await contacts.create(fx.ws, { email: 'grace@navy.mil', external_id: 'crm-17' }, NOW);
    await batch([{ type: 'track', userId: 'crm-17', event: 'Logged In', messageId: 'id-1' }]);
    expect((await eventsOf(imported.id)).map((e) => e.type)).toEqual(['Logged In']);
    expect(await identitiesOf(store.db, fx.ws, imported.id)).toEqual([{ kind: 'user_id', value: 'crm-17' }]);
    expect(await contacts.count(fx.ws)).toBe(1);
  });

  it('merges an anonymous profile into the user when a track carries both ids, keeping its events', async () => {
    await batch([
      { type: 'track', anonymousId: 'visitor-1', event: 'Blog Read' },
      { type: 'page', anonymousId: 'visitor-1', name: 'Home' },
    ]);
    const anon = await store.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', fx.ws)
      .where('value', '=', 'visitor-1')
      .executeTakeFirstOrThrow();
    const profile = await new ContactsRepository(store).get(fx.ws, anon.contact_id);
    expect(profile.email).toBeNull();
    expect(profile.external_id).toBeNull();

    // First seen together: the user id attaches to the anonymous profile.
    await batch([{ type: 'track', userId: 'user-9', anonymousId: 'visitor-1', event: 'Signed Up' }]);
    const user = await store.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', fx.ws)
      .where('kind', '=', 'user_id')
      .where('value', '=', 'user-9')
      .executeTakeFirstOrThrow();
    expect(user.contact_id).toBe(anon.contact_id);
    expect((await eventsOf(user.contact_id)).map((e) => e.type).sort()).toEqual([
      'Blog Read',
      'Signed Up',
      'page',
    ]);

    // A second device's anonymous profile merges into the user's; its events move over.
    await batch([{ type: 'track', anonymousId: 'phone-2', event: 'App Opened' }]);
    const phone = await store.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('workspace_id', '=', fx.ws)
      .where('value', '=', 'phone-2')
      .executeTakeFirstOrThrow();
    expect(phone.contact_id).not.toBe(user.contact_id);
    await batch([{ type: 'track', userId: 'user-9', anonymousId: 'phone-2', event: 'Settings Opened' }]);
    expect(await new ContactsRepository(store).find(fx.ws, phone.contact_id)).toBeUndefined();
    expect((await eventsOf(user.contact_id)).map((e) => e.type).sort()).toEqual([
      'App Opened',
      'Blog Read',
      'Settings Opened',
      'Signed Up',
      'page',
    ]);
    expect(await identitiesOf(store.db, fx.ws, user.contact_id)).toEqual([
      { kind: 'anonymous_id', value: 'phone-2' },
      { kind: 'anonymous_id', value: 'visitor-1' },
      { kind: 'user_id', value: 'user-9' },
    ]);
  });

  it('identify with an email Baton knows merges the profile into that contact, which keeps its id', async () => {
    const contacts = new ContactsRepository(store);
    const known = await contacts.create(fx.ws, { email: 'linus@kernel.org', first_name: 'Linus' }, NOW);
    await batch([
      { type: 'track', anonymousId: 'visitor-lt', event: 'Docs Read' },
      {
        type: 'identify',
        userId: 'lt-1',
        anonymousId: 'visitor-lt',
        traits: {
          email: 'linus@Kernel.org',
          name: 'Linus Torvalds',
          phone: '+358 40 123 4567',
          company_size: 9,
        },
      },
    ]);
    const after = await contacts.get(fx.ws, known.id);
    expect(after).toMatchObject({
      email: 'linus@kernel.org',
      external_id: 'lt-1',
      first_name: 'Linus',
      last_name: 'Torvalds',
      phone: '+358 40 123 4567',
      attributes: { company_size: 9 },
    });
    expect((await eventsOf(known.id)).map((e) => e.type).sort()).toEqual(['Docs Read', 'identify']);
    expect(await identitiesOf(store.db, fx.ws, known.id)).toEqual([
      { kind: 'anonymous_id', value: 'visitor-lt' },
      { kind: 'user_id', value: 'lt-1' },
    ]);
  });

  it('group links the contact to the account, found by domain when it exists', async () => {
    const existing = await store.db
      .insertInto('accounts')
      .values({
        id: 'acc_initech',
        workspace_id: fx.ws,
        domain: 'initech.com',
        name: 'Initech',
        attributes: '{}',
        created_at: NOW,
        updated_at: NOW,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await batch([
      { type: 'identify', userId: 'peter', traits: { email: 'peter@initech.com' } },
      {
        type: 'group',
        userId: 'peter',
        groupId: 'org-initech',
        traits: { website: 'https://initech.com', employees: 300 },
      },
    ]);
    const peter = await new ContactsRepository(store).findByEmail(fx.ws, 'peter@initech.com');
    expect(peter?.account_id).toBe(existing.id);
    const account = await store.db
      .selectFrom('accounts')
      .select(['external_id', 'size'])
      .where('id', '=', existing.id)
      .executeTakeFirstOrThrow();
    expect(account).toEqual({ external_id: 'org-initech', size: 300 });
  });

  it('stores concurrent calls written together, one of them needing a merge, each with its contact', async () => {
    await batch([{ type: 'track', anonymousId: 'together-anon', event: 'Together Seen' }]);
    const results = await Promise.all([
      batch([{ type: 'track', userId: 'together-a', event: 'Together' }]),
      batch([{ type: 'track', userId: 'together-u', anonymousId: 'together-anon', event: 'Together' }]),
      batch([{ type: 'track', userId: 'together-b', event: 'Together' }]),
      batch([{ type: 'track', userId: 'together-a', event: 'Together', messageId: 'together-dup' }]),
      batch([{ type: 'track', userId: 'together-a', event: 'Together', messageId: 'together-dup' }]),
    ]);
    expect(results.map((r: { stored: number }) => r.stored)).toEqual(expect.arrayContaining([1, 1, 1]));
    expect(results.reduce((n: number, r: { stored: number }) => n + r.stored, 0)).toBe(4);
    const rows = await store.db
      .selectFrom('events')
      .innerJoin('contact_identities', (j) =>
        j
          .onRef('contact_identities.contact_id', '=', 'events.contact_id')
          .on('contact_identities.kind', '=', 'user_id'),
      )
      .select(['contact_identities.value as user', 'events.type'])
      .where('events.workspace_id', '=', fx.ws)
      .where('events.type', 'in', ['Together', 'Together Seen'])
      .execute();
    expect(rows.map((r) => `${r.user}:${r.type}`).sort()).toEqual([
      'together-a:Together',
      'together-a:Together',
      'together-b:Together',
      'together-u:Together',
      'together-u:Together Seen',
    ]);
  });
});
