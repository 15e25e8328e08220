// Exits from ingested events, through the tracking API and the worker's event processor: a custom event
// named in a campaign's `exit_on` ends that contact's enrollment in that campaign only, and a conversion
// under `exit_scope: account` ends the enrollments of the converter's colleagues in that campaign too,
// cancelling their pending touches, while a campaign scoped per contact ends only the converter's.
// Each dialect gets a database of its own: the worker ticks every workspace it finds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import type { CampaignInput } from '../../src/domain/campaign.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');
const NEXT_DAY = Date.parse('2027-01-05T10:00:00Z');

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

async function addAccounts(store: Store, ws: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('acc', T0));
  await store.db
    .insertInto('accounts')
    .values(
      ids.map((id, i) => ({
        id,
        workspace_id: ws,
        domain: `acct${i}-${id.slice(-6).toLowerCase()}.example`,
        attributes: '{}',
        created_at: T0,
        updated_at: T0,
      })),
    )
    .execute();
  return ids;
}

/** Leads u0…u(n-1), each in the account `accountOf` names (or none). */
async function seedContacts(store: Store, ws: string, n: number, accountOf?: (i: number) => string | null) {
  await store.db
    .insertInto('contacts')
    .values(
      Array.from({ length: n }, (_, i) => ({
        id: newId('con', T0),
        workspace_id: ws,
        external_id: `u${i}`,
        email: `p${i}@example.org`,
        time_zone: 'UTC',
        lifecycle_stage: 'lead',
        account_id: accountOf?.(i) ?? null,
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: T0,
        updated_at: T0,
      })),
    )
    .execute();
}

/** Launched at the window's start, so the campaign is running at once. */
async function launch(store: Store, ws: string, spec: CampaignInput): Promise<void> {
  await applyCampaign(store, ws, { spec }, T0);
  await launchCampaign(store, ws, spec.id, START, engineLaunchHooks);
}

/** Every enrollment of the workspace with its step-two touch (the one still pending after the first tick). */
async function enrollmentsWithStepTwo(store: Store, ws: string) {
  const rows = await store.db
    .selectFrom('enrollments')
    .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
    .leftJoin('touches', (j) =>
      j.onRef('touches.enrollment_id', '=', 'enrollments.id').on('touches.step_id', '=', 'two'),
    )
    .select([
      'enrollments.campaign_id',
      'contacts.external_id',
      'enrollments.state',
      'enrollments.exit_reason',
      'touches.status as two_status',
      'touches.reason as two_reason',
    ])
    .where('enrollments.workspace_id', '=', ws)
    .execute();
  return (campaign: string, user: string) => {
    const r = rows.filter((x) => x.campaign_id === campaign && x.external_id === user);
    expect(r, `${campaign}/${user}`).toHaveLength(1);
    return r[0]!;
  };
}

const track = (fx: IngestFixture, userId: string, event: string, properties: Record<string, unknown> = {}) =>
  fx.app.inject({
    method: 'POST',
    url: '/v1/track',
    headers: { authorization: fx.basic, 'content-type': 'application/json' },
    payload: { userId, event, properties },
  });

describe.each(dialects)('exits from ingested events on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('ends the enrollment on a custom exit event, in the campaign that names it only', async () => {
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
      await launch(store, fx.ws, { ...base, id: 'news', name: 'Newsletter' });
      const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'exits', processEvents });
      clock.set(START);
      await worker.tick();
      // Step one went out to everyone; step two waits three days.
      let of = await enrollmentsWithStepTwo(store, fx.ws);
      for (const c of ['trial', 'news'])
        for (const u of ['u0', 'u1', 'u2'])
          expect(of(c, u)).toMatchObject({ state: 'active', two_status: 'planned' });

      clock.set(NEXT_DAY);
      expect((await track(fx, 'u0', 'trial_cancelled', { plan: 'pro' })).statusCode).toBe(200);
      // An event the campaign does not name ends nothing.
      expect((await track(fx, 'u1', 'trial_extended')).statusCode).toBe(200);
      await worker.tick();

      of = await enrollmentsWithStepTwo(store, fx.ws);
      expect(of('trial', 'u0')).toMatchObject({
        state: 'exited',
        exit_reason: 'event:trial_cancelled',
        two_status: 'cancelled',
        two_reason: 'exited:event:trial_cancelled',
      });
      for (const u of ['u1', 'u2'])
        expect(of('trial', u)).toMatchObject({ state: 'active', exit_reason: null, two_status: 'planned' });
      // The newsletter does not exit on it: u0 stays enrolled there, step two still planned.
      for (const u of ['u0', 'u1', 'u2'])
        expect(of('news', u)).toMatchObject({ state: 'active', exit_reason: null, two_status: 'planned' });
    } finally {
      await fx.app.close();
    }
  });

  it('ends the colleagues’ enrollments on a conversion under exit_scope account, only the converter’s otherwise', async () => {
    const store = own.store;
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    try {
      const [acme, other] = await addAccounts(store, fx.ws, 2);
      await seedContacts(store, fx.ws, 4, (i) => (i < 3 ? acme! : other!));
      // exit_on keeps its default (replied, converted, unsubscribed, bounced) in both campaigns.
      await launch(store, fx.ws, { ...base, id: 'abm', name: 'ABM', exit_scope: 'account' });
      await launch(store, fx.ws, { ...base, id: 'solo', name: 'Solo' });
      const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'exits', processEvents });
      clock.set(START);
      await worker.tick();

      // u0 (acme) books a demo, the goal of both campaigns, a day after step one.
      clock.set(NEXT_DAY);
      expect((await track(fx, 'u0', 'demo_booked', { revenue: 100 })).statusCode).toBe(200);
      await worker.tick();

      const conversions = await store.db
        .selectFrom('conversions')
        .innerJoin('contacts', 'contacts.id', 'conversions.contact_id')
        .select(['conversions.campaign_id', 'contacts.external_id'])
        .where('conversions.workspace_id', '=', fx.ws)
        .orderBy('conversions.campaign_id')
        .execute();
      // One conversion per campaign, u0's: the colleagues' exits are not conversions of theirs.
      expect(conversions).toEqual([
        { campaign_id: 'abm', external_id: 'u0' },
        { campaign_id: 'solo', external_id: 'u0' },
      ]);

      const of = await enrollmentsWithStepTwo(store, fx.ws);
      // ABM: all of acme's contacts are out, their step two cancelled; u3 (another account) goes on.
      for (const u of ['u0', 'u1', 'u2']) {
        expect(of('abm', u)).toMatchObject({
          state: 'exited',
          exit_reason: 'converted',
          two_status: 'cancelled',
          two_reason: 'exited:converted',
        });
      }
      expect(of('abm', 'u3')).toMatchObject({ state: 'active', exit_reason: null, two_status: 'planned' });
      // Solo (exit_scope contact): only the converter's enrollment ends.
      expect(of('solo', 'u0')).toMatchObject({
        state: 'exited',
        exit_reason: 'converted',
        two_status: 'cancelled',
        two_reason: 'exited:converted',
      });
      for (const u of ['u1', 'u2', 'u3'])
        expect(of('solo', u)).toMatchObject({ state: 'active', exit_reason: null, two_status: 'planned' });
    } finally {
      await fx.app.close();
    }
  });
});
