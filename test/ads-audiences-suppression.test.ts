// Suppressing an address or a domain takes its people out of ads audiences whatever the case of the stored
// address: contacts keep the local part's case (`Bob@example.com`), suppression values are lower-cased.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashIdentifiers } from '../src/channels/ads/identifiers.js';
import { AdsAudiencesRepository } from '../src/store/ads-audiences.repository.js';
import { SuppressionsRepository } from '../src/store/suppressions.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z');

describe.each(dialects)('suppression and ads audiences on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  /** A workspace whose audience "Retarget" holds the given people (contact id → stored email). */
  async function audienceWith(people: Record<string, string>) {
    const ws = await newWorkspace(store);
    for (const [id, email] of Object.entries(people)) {
      await store.db
        .insertInto('contacts')
        .values({
          id: `${ws}_${id}`,
          workspace_id: ws,
          email,
          phone: null,
          first_name: null,
          last_name: null,
          time_zone: 'UTC',
          subscription_status: 'subscribed',
          sms_consent: 0,
          attributes: '{}',
          created_at: T0,
          updated_at: T0,
        })
        .execute();
    }
    const audiences = new AdsAudiencesRepository(store);
    const audienceId = await audiences.ensure(ws, 'Retarget', T0);
    await audiences.addMembers(
      ws,
      audienceId,
      Object.entries(people).map(([id, email]) => ({
        contactId: `${ws}_${id}`,
        campaignId: null,
        enrollmentId: null,
        identifiers: hashIdentifiers({
          email,
          phone: null,
          firstName: null,
          lastName: null,
          country: null,
          zip: null,
        }),
      })),
      T0,
    );
    const removed = async () =>
      Object.fromEntries(
        (
          await store.db
            .selectFrom('ads_audience_members')
            .select(['contact_id', 'removed_reason'])
            .where('workspace_id', '=', ws)
            .where('audience_id', '=', audienceId)
            .execute()
        ).map((r) => [r.contact_id.slice(ws.length + 1), r.removed_reason]),
      );
    return { ws, removed };
  }

  it('removes a mixed-case address suppressed in lower case, and only it', async () => {
    const { ws, removed } = await audienceWith({
      ct_bob: 'Bob@Example.com',
      ct_norm: 'Carol.Smith@example.com',
      ct_other: 'bobby@example.com',
    });
    await new SuppressionsRepository(store).add(ws, { value: 'bob@example.com', reason: 'manual' }, T0 + 1);
    expect(await removed()).toEqual({ ct_bob: 'suppressed', ct_norm: null, ct_other: null });
    await new SuppressionsRepository(store).add(
      ws,
      { value: 'CAROL.SMITH@Example.COM', reason: 'unsubscribe' },
      T0 + 2,
    );
    expect(await removed()).toEqual({ ct_bob: 'suppressed', ct_norm: 'unsubscribed', ct_other: null });
  });

  it('removes every address of a domain suppressed in mixed case, whatever the stored case', async () => {
    const { ws, removed } = await audienceWith({
      ct_bob: 'Bob@Example.com',
      ct_ann: 'ann@example.com',
      ct_sub: 'eve@mail.example.com',
      ct_else: 'dan@example.org',
    });
    await new SuppressionsRepository(store).add(ws, { value: 'EXAMPLE.com', reason: 'manual' }, T0 + 1);
    // A subdomain is another domain, as for the audience and the email channel (exact domain match).
    expect(await removed()).toEqual({
      ct_bob: 'suppressed',
      ct_ann: 'suppressed',
      ct_sub: null,
      ct_else: null,
    });
  });
});
