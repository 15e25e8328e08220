// A real Segment SDK (@segment/analytics-node) pointed at a Baton server started here sends identify,
// track, page, group and alias calls; the test reads them back through the API.
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

/** Sends one call and waits until the server has answered it (the SDK's per-call callback). */
function send(run: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err as Error) : resolve())));
}

describe.each(dialects)('Segment SDK against the tracking API on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  let analytics: Analytics;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    fx = await ingestFixture(store, realClock, Date.now());
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fx.app.server.address() as AddressInfo;
    analytics = new Analytics({
      writeKey: fx.writeKey,
      host: `http://127.0.0.1:${port}`,
      flushAt: 1,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await analytics.closeAndFlush();
    await fx.app.close();
    await store.dispose();
  });

  const get = async (url: string) => {
    const res = await fx.app.inject({ method: 'GET', url, headers: { authorization: fx.bearer } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('merges the anonymous visitor into the identified user, links the group account, keeps every event', async () => {
    // An anonymous visit, then a sign-up that identifies the visitor.
    await send((cb) =>
      analytics.track({ anonymousId: 'anon-1', event: 'Pricing Viewed', properties: { plan: 'pro' } }, cb),
    );
    await send((cb) =>
      analytics.page({ anonymousId: 'anon-1', name: 'Pricing', properties: { path: '/pricing' } }, cb),
    );
    await send((cb) =>
      analytics.identify(
        {
          userId: 'user-42',
          anonymousId: 'anon-1',
          traits: {
            email: 'ada@acme.io',
            firstName: 'Ada',
            lastName: 'Lovelace',
            timezone: 'Europe/London',
            plan: 'pro',
          },
        },
        cb,
      ),
    );
    // A second device seen before the alias.
    await send((cb) => analytics.track({ anonymousId: 'tablet-7', event: 'App Opened' }, cb));
    await send((cb) => analytics.alias({ userId: 'user-42', previousId: 'tablet-7' }, cb));
    await send((cb) =>
      analytics.group(
        {
          userId: 'user-42',
          groupId: 'acct-acme',
          traits: { name: 'Acme Inc', website: 'https://www.acme.io', industry: 'Software', employees: 120 },
        },
        cb,
      ),
    );
    await send((cb) =>
      analytics.track({ userId: 'user-42', event: 'Demo Booked', properties: { revenue: 99 } }, cb),
    );

    const contacts = await get('/api/v1/contacts?email=ada@acme.io');
    expect(contacts.data).toHaveLength(1);
    const ada = contacts.data[0];
    expect(ada).toMatchObject({
      external_id: 'user-42',
      first_name: 'Ada',
      last_name: 'Lovelace',
      time_zone: 'Europe/London',
      attributes: { plan: 'pro' },
    });

    const timeline = await get(`/api/v1/contacts/${ada.id}/timeline`);
    expect(timeline.identities).toEqual([
      { kind: 'anonymous_id', value: 'anon-1' },
      { kind: 'anonymous_id', value: 'tablet-7' },
      { kind: 'user_id', value: 'user-42' },
    ]);
    const types = timeline.items.map((i: { type: string }) => i.type).sort();
    expect(types).toEqual(
      ['App Opened', 'Demo Booked', 'Pricing Viewed', 'alias', 'group', 'identify', 'page'].sort(),
    );

    // Only one contact exists: both anonymous profiles were merged away.
    const all = await get('/api/v1/contacts');
    expect(all.data).toHaveLength(1);

    const account = await get(`/api/v1/accounts/${ada.account_id}`);
    expect(account).toMatchObject({
      external_id: 'acct-acme',
      domain: 'acme.io',
      name: 'Acme Inc',
      industry: 'Software',
      size: 120,
    });

    const events = await get(`/api/v1/events?contact=${ada.id}&type=Demo%20Booked`);
    expect(events.data).toHaveLength(1);
    expect(events.data[0].properties).toMatchObject({
      revenue: 99,
      $context: { library: { name: '@segment/analytics-node' } },
    });
    expect(events.data[0].message_id).toMatch(/.+/);
  });
});
