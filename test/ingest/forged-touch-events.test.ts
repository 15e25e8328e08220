// Baton's touch events (bounced, unsubscribed, complained, replied, converted, opened, …) are Baton's own.
// The tracking API refuses a track that takes one of their names (the write key lives in browser
// JavaScript, so anyone can send one), a batch keeps its valid messages and reports the refused one by
// index, and the event processor ends nothing on such an event stored without a channel, touch or
// campaign; Baton's own unsubscribe, bounce and reply still end enrollments as before. Exits also respect
// time: an exit event that happened before the person enrolled (a late SDK flush, an /v1/import backfill)
// ends nothing, as a conversion from before the enrollment counts for nothing.
// Each dialect gets a database of its own: the worker ticks every workspace it finds.
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsubscribeContact } from '../../src/channels/email/outcomes.js';
import { defaultChannels } from '../../src/channels/registry.js';
import type { CampaignInput } from '../../src/domain/campaign.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import type { Store } from '../../src/store/db.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { newId } from '../../src/store/ids.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');
const NEXT_DAY = Date.parse('2027-01-05T10:00:00Z');
const HOUR = 3_600_000;

const base = {
  objective: 'pipeline' as const,
  goal: { metric: 'conversions' as const, event: 'demo_booked', target: 5, lookback_days: 30 },
  window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['log' as const],
  sequence: [
    { id: 'one', channel: 'log' as const, delay: '0d' },
    { id: 'two', channel: 'log' as const, delay: '3d' },
  ],
};

/** Leads u0…u(n-1); returns their contact ids by external id. */
async function seedContacts(store: Store, ws: string, n: number): Promise<Record<string, string>> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: newId('con', T0),
    workspace_id: ws,
    external_id: `u${i}`,
    email: `p${i}@example.org`,
    time_zone: 'UTC',
    lifecycle_stage: 'lead',
    account_id: null,
    subscription_status: 'subscribed',
    sms_consent: 0,
    attributes: '{}',
    created_at: T0,
    updated_at: T0,
  }));
  await store.db.insertInto('contacts').values(rows).execute();
  return Object.fromEntries(rows.map((r) => [r.external_id, r.id]));
}

async function launch(store: Store, ws: string, spec: CampaignInput): Promise<void> {
  await applyCampaign(store, ws, { spec }, T0);
  await launchCampaign(store, ws, spec.id, START, engineLaunchHooks);
}

/** Enrollment state and exit reason by campaign and user. */
async function states(store: Store, ws: string) {
  const rows = await store.db
    .selectFrom('enrollments')
    .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
    .select([
      'enrollments.campaign_id',
      'contacts.external_id',
      'enrollments.state',
      'enrollments.exit_reason',
      'enrollments.enrolled_at',
    ])
    .where('enrollments.workspace_id', '=', ws)
    .execute();
  return (campaign: string, user: string) => {
    const r = rows.filter((x) => x.campaign_id === campaign && x.external_id === user);
    expect(r, `${campaign}/${user}`).toHaveLength(1);
    return r[0]!;
  };
}

const post = (fx: IngestFixture, path: string, payload: Record<string, unknown>) =>
  fx.app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: fx.basic, 'content-type': 'application/json' },
    payload,
  });

const TOUCH_TYPES = [
  'bounced',
  'unsubscribed',
  'complained',
  'replied',
  'converted',
  'sent',
  'delivered',
  'opened',
  'clicked',
  'failed',
];

describe.each(dialects)('touch events are Baton’s own on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('refuses a forged touch event over the tracking API and leaves every enrollment active', async () => {
    const store = own.store;
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    try {
      const ids = await seedContacts(store, fx.ws, 4);
      // The default exit_on: replied, converted, unsubscribed, bounced.
      await launch(store, fx.ws, { ...base, id: 'a', name: 'A' });
      await launch(store, fx.ws, { ...base, id: 'b', name: 'B' });
      const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'forged', processEvents });
      clock.set(START);
      await worker.tick();
      clock.set(NEXT_DAY);

      // Each touch-event name on /v1/track: 400 naming the field and why; nothing stored.
      for (const event of TOUCH_TYPES) {
        const r = await post(fx, '/v1/track', { userId: 'u0', event, properties: { bounce: 'hard' } });
        expect(r.statusCode, event).toBe(400);
        expect(r.json().error.message, event).toMatch(new RegExp(`^event: "${event}" is an outcome Baton`));
      }
      // A batch stores its valid message and reports the forged one by index.
      const batch = await post(fx, '/v1/batch', {
        batch: [
          { type: 'track', userId: 'u1', event: 'trial_started', messageId: 'ok-1' },
          { type: 'track', userId: 'u1', event: 'unsubscribed', messageId: 'forged-1' },
        ],
      });
      expect(batch.statusCode).toBe(200);
      expect(batch.json()).toMatchObject({ success: true, stored: 1, duplicates: 0 });
      expect(batch.json().errors).toHaveLength(1);
      expect(batch.json().errors[0]).toMatchObject({ index: 1 });
      expect(batch.json().errors[0].message).toMatch(/^event: "unsubscribed" is an outcome Baton/);
      // A batch of only forged messages is refused as a whole, with every message listed.
      const allBad = await post(fx, '/v1/import', {
        batch: [
          { type: 'track', userId: 'u2', event: 'bounced' },
          { type: 'track', userId: 'u2', event: 'replied' },
        ],
      });
      expect(allBad.statusCode).toBe(400);
      expect(allBad.json().error.message).toMatch(/^batch\.0: event: "bounced"/);
      expect(allBad.json().error.details.errors.map((e: { index: number }) => e.index)).toEqual([0, 1]);

      // Rows of those names stored without a channel, touch or campaign (what the tracking API wrote before
      // it refused them) end nothing either.
      await appendEvents(
        store.db,
        ['bounced', 'unsubscribed', 'complained', 'replied', 'converted'].map((type) => ({
          workspaceId: fx.ws,
          type,
          occurredAt: NEXT_DAY,
          receivedAt: NEXT_DAY,
          messageId: `legacy-${type}`,
          contactId: ids.u3!,
          properties: {},
        })),
      );
      await worker.tick();

      const stored = await store.db
        .selectFrom('events')
        .select(['type', 'contact_id'])
        .where('workspace_id', '=', fx.ws)
        .where('type', 'in', TOUCH_TYPES)
        .where('channel', 'is', null)
        .where('contact_id', 'in', [ids.u0!, ids.u1!, ids.u2!])
        .execute();
      expect(stored).toEqual([]);
      const of = await states(store, fx.ws);
      for (const c of ['a', 'b'])
        for (const u of ['u0', 'u1', 'u2', 'u3'])
          expect(of(c, u)).toMatchObject({ state: 'active', exit_reason: null });
      const contacts = await store.db
        .selectFrom('contacts')
        .select('subscription_status')
        .where('workspace_id', '=', fx.ws)
        .execute();
      expect(contacts.every((c) => c.subscription_status === 'subscribed')).toBe(true);

      // Baton's own outcomes still end enrollments: an unsubscribe from the unsubscribe page (every
      // campaign), a reply as the inbound listener records it (its campaign), a hard bounce as the
      // dispatcher records it (every campaign).
      const touchOf = async (campaign: string, contact: string) =>
        store.db
          .selectFrom('touches')
          .select(['id', 'step_id'])
          .where('workspace_id', '=', fx.ws)
          .where('campaign_id', '=', campaign)
          .where('contact_id', '=', contact)
          .where('step_id', '=', 'one')
          .executeTakeFirstOrThrow();
      expect(await unsubscribeContact(store, fx.ws, ids.u0!, null, NEXT_DAY, { method: 'page' })).toBe(true);
      const replyTouch = await touchOf('a', ids.u1!);
      const bounceTouch = await touchOf('b', ids.u2!);
      await appendEvents(store.db, [
        {
          workspaceId: fx.ws,
          type: 'replied',
          occurredAt: NEXT_DAY,
          receivedAt: NEXT_DAY,
          messageId: `reply:${replyTouch.id}:m1`,
          contactId: ids.u1!,
          properties: {},
          campaignId: 'a',
          touchId: replyTouch.id,
          stepId: replyTouch.step_id,
          channel: 'email',
        },
        {
          workspaceId: fx.ws,
          type: 'bounced',
          occurredAt: NEXT_DAY,
          receivedAt: NEXT_DAY,
          messageId: `dsn:${bounceTouch.id}:hard`,
          contactId: ids.u2!,
          properties: { bounce: 'hard' },
          campaignId: 'b',
          touchId: bounceTouch.id,
          stepId: bounceTouch.step_id,
          channel: 'email',
        },
      ]);
      await worker.tick();
      const after = await states(store, fx.ws);
      for (const c of ['a', 'b']) {
        expect(after(c, 'u0')).toMatchObject({ state: 'exited', exit_reason: 'unsubscribed' });
        expect(after(c, 'u2')).toMatchObject({ state: 'exited', exit_reason: 'bounced' });
        expect(after(c, 'u3')).toMatchObject({ state: 'active', exit_reason: null });
      }
      expect(after('a', 'u1')).toMatchObject({ state: 'exited', exit_reason: 'replied' });
      expect(after('b', 'u1')).toMatchObject({ state: 'active', exit_reason: null });
    } finally {
      await fx.app.close();
    }
  });

  it('a forged unsubscribe sent by the real Segment client ends nothing; its valid call is stored', async () => {
    const store = own.store;
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    await seedContacts(store, fx.ws, 1);
    await launch(store, fx.ws, { ...base, id: 'sdk', name: 'SDK' });
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'sdk', processEvents });
    clock.set(START);
    await worker.tick();
    // The server's receipt time (a day after enrollment) is the events' time: the SDK's timestamp and
    // sentAt come from the same (real) clock, so Segment's skew correction lands on the receipt time.
    clock.set(NEXT_DAY);
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fx.app.server.address() as AddressInfo;
    const analytics = new Analytics({
      writeKey: fx.writeKey,
      host: `http://127.0.0.1:${port}`,
      flushAt: 2,
      maxRetries: 0,
    });
    try {
      // Both calls leave in one /v1/batch: the valid one is stored, the forged one refused by index.
      const results = await Promise.all(
        [
          { userId: 'u0', event: 'Pricing Viewed' },
          { userId: 'u0', event: 'unsubscribed', properties: { reason: 'forged' } },
        ].map((m) => new Promise<unknown>((resolve) => analytics.track(m, (err) => resolve(err ?? null)))),
      );
      expect(results).toEqual([null, null]);
      await worker.tick();
      const types = await store.db
        .selectFrom('events')
        .select('type')
        .where('workspace_id', '=', fx.ws)
        .where('channel', 'is', null)
        .execute();
      expect(types.map((t) => t.type)).toEqual(['Pricing Viewed']);
      const of = await states(store, fx.ws);
      expect(of('sdk', 'u0')).toMatchObject({ state: 'active', exit_reason: null });
    } finally {
      await analytics.closeAndFlush();
      await fx.app.close();
    }
  });

  it('ends nothing on an exit event from before the enrollment; one from after ends it', async () => {
    const store = own.store;
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    try {
      await seedContacts(store, fx.ws, 3);
      await launch(store, fx.ws, {
        ...base,
        id: 'trial',
        name: 'Trial nurture',
        exit_on: ['replied', 'converted', { event: 'trial_cancelled' }],
      });
      const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'timing', processEvents });
      clock.set(START);
      await worker.tick();
      const enrolledAt = Number((await states(store, fx.ws))('trial', 'u0').enrolled_at);
      expect(enrolledAt).toBeLessThanOrEqual(START);

      // A day later: a backfill of a cancellation an hour before u0 enrolled, and u1's cancellation at the
      // moment of enrollment (at or after it counts, as for conversions), and u2's a day after.
      clock.set(NEXT_DAY);
      const iso = (ms: number) => new Date(ms).toISOString();
      const r = await post(fx, '/v1/import', {
        batch: [
          { type: 'track', userId: 'u0', event: 'trial_cancelled', timestamp: iso(enrolledAt - HOUR) },
          { type: 'track', userId: 'u1', event: 'trial_cancelled', timestamp: iso(enrolledAt) },
          { type: 'track', userId: 'u2', event: 'trial_cancelled', timestamp: iso(NEXT_DAY - HOUR) },
        ],
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ stored: 3 });
      await worker.tick();

      const of = await states(store, fx.ws);
      expect(of('trial', 'u0')).toMatchObject({ state: 'active', exit_reason: null });
      expect(of('trial', 'u1')).toMatchObject({ state: 'exited', exit_reason: 'event:trial_cancelled' });
      expect(of('trial', 'u2')).toMatchObject({ state: 'exited', exit_reason: 'event:trial_cancelled' });
    } finally {
      await fx.app.close();
    }
  });
});
