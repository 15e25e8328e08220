// setSubscriptionStatus: what unsubscribe links, bounces and complaints call (later issues).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactCreateSchema } from '../src/domain/contact.js';
import { BatonError } from '../src/domain/errors.js';
import { ContactsRepository } from '../src/store/contacts.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('contact subscription status on %s', (dialect) => {
  let store: TestStore;
  let contacts: ContactsRepository;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    contacts = new ContactsRepository(store);
  });
  afterAll(() => store.dispose());

  it('records an unsubscribe once; repeating it changes nothing', async () => {
    const ws = await newWorkspace(store);
    const c = await contacts.create(ws, contactCreateSchema.parse({ email: 'u@example.com' }), T0);
    expect(c.subscription_status).toBe('subscribed');

    const un = await contacts.setSubscriptionStatus(ws, c.id, 'unsubscribed', T0 + 1000);
    expect(un).toMatchObject({ id: c.id, subscription_status: 'unsubscribed', updated_at: T0 + 1000 });
    const again = await contacts.setSubscriptionStatus(ws, c.id, 'unsubscribed', T0 + 5000);
    expect(again.updated_at).toBe(T0 + 1000);
    expect((await contacts.get(ws, c.id)).subscription_status).toBe('unsubscribed');

    const bounced = await contacts.setSubscriptionStatus(ws, c.id, 'bounced', T0 + 9000);
    expect(bounced).toMatchObject({ subscription_status: 'bounced', updated_at: T0 + 9000 });
    const listed = await contacts.list(ws, { subscription_status: 'bounced' }, { limit: 10 });
    expect(listed.data.map((x) => x.id)).toEqual([c.id]);
  });

  it('never touches a contact of another workspace', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const c = await contacts.create(ws, contactCreateSchema.parse({ email: 'keep@example.com' }), T0);
    const err = await contacts.setSubscriptionStatus(other, c.id, 'complained', T0 + 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BatonError);
    expect((err as BatonError).code).toBe('not_found');
    expect((await contacts.get(ws, c.id)).subscription_status).toBe('subscribed');
  });
});
