// Shared set-up for the ingestion tests: an app over a test store, an ingest write key and a read key.
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { Clock } from '../../src/engine/clock.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import type { Store } from '../../src/store/db.js';
import { newWorkspace } from '../support/stores.js';

export interface IngestFixture {
  app: FastifyInstance;
  ws: string;
  writeKey: string;
  /** `Authorization` header for the read API. */
  bearer: string;
  /** `Authorization` header for ingestion (basic auth, empty password). */
  basic: string;
}

export async function ingestFixture(store: Store, clock: Clock, now: number): Promise<IngestFixture> {
  const ws = await newWorkspace(store, now);
  const keys = new ApiKeysRepository(store);
  const { key: writeKey } = await keys.create(ws, { kind: 'ingest', scopes: ['ingest'] }, now);
  const { key: apiKey } = await keys.create(ws, { kind: 'api', scopes: ['read'] }, now);
  const app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' });
  await app.ready();
  return {
    app,
    ws,
    writeKey,
    bearer: `Bearer ${apiKey}`,
    basic: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
  };
}

/** One call of a Segment-compatible SDK: the method and its message. */
export type SdkCall = readonly ['track' | 'page' | 'identify' | 'alias' | 'group', Record<string, unknown>];

/**
 * The visitor's journey both SDK tests replay: an anonymous visit, a sign-up that identifies the visitor, a
 * second device joined by an alias, the company account, and finally the conversion (`SDK_JOURNEY_LAST`).
 */
export const SDK_JOURNEY: readonly SdkCall[] = [
  ['track', { anonymousId: 'anon-1', event: 'Pricing Viewed', properties: { plan: 'pro' } }],
  ['page', { anonymousId: 'anon-1', name: 'Pricing', properties: { path: '/pricing' } }],
  [
    'identify',
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
  ],
  ['track', { anonymousId: 'tablet-7', event: 'App Opened' }],
  ['alias', { userId: 'user-42', previousId: 'tablet-7' }],
  [
    'group',
    {
      userId: 'user-42',
      groupId: 'acct-acme',
      traits: { name: 'Acme Inc', website: 'https://www.acme.io', industry: 'Software', employees: 120 },
    },
  ],
];
export const SDK_JOURNEY_LAST: SdkCall = [
  'track',
  { userId: 'user-42', event: 'Demo Booked', properties: { revenue: 99 } },
];

/**
 * Reads the journey back through the read API: one contact with the merged identities and traits, every
 * event on its timeline, the group's account, and the conversion's properties with the SDK's library name.
 */
export async function expectJourneyStored(fx: IngestFixture, libraryName: string): Promise<void> {
  const get = async (url: string) => {
    const res = await fx.app.inject({ method: 'GET', url, headers: { authorization: fx.bearer } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
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
    $context: { library: { name: libraryName } },
  });
  expect(events.data[0].message_id).toMatch(/.+/);
}
