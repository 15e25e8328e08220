// Did the campaign move people, or would they have moved anyway? A simulated market (src/sim: world,
// truth, stage-moves) where the truth is known: every person views the pricing page at a baseline time, and
// a campaign touch makes some do it sooner. Baton enrolls half the audience and holds out the other half,
// sends the touches, reads the views as events, moves contacts from Awareness to Consideration, and the
// journey flows compare the arms. The counts must be exactly the simulated moves per arm, and the 95%
// interval of the difference must contain the true incremental share of the treated (people who moved
// by the horizon only because of the touch).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { newId, seedIds } from '../../src/store/ids.js';
import { loadJourneyFlows } from '../../src/store/journey/flows.js';
import { setJourney } from '../../src/store/journey/journey-map.repository.js';
import { simulateStageMoves } from '../../src/sim/stage-moves.js';
import { DEFAULT_TRUTH } from '../../src/sim/truth.js';
import { generateWorld } from '../../src/sim/world.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-06-07T08:00:00Z');
const START = Date.parse('2027-06-07T09:00:00Z');
const DAY = 86_400_000;
const HORIZON = START + 21 * DAY;

describe.each(dialects)('campaign vs holdout journey moves in a simulated market (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    // Seeded ids make the arms (a hash of campaign and contact id) the same on every run and on both
    // stores: one fixed sample. A 95% interval misses the truth for about one sample in twenty; the
    // coverage over many samples is checked in src/sim/stage-moves.test.ts.
    seedIds('journey-holdout');
  });
  afterAll(() => store.dispose());

  it('measures the moves the campaign caused against its holdout', async () => {
    const world = generateWorld('journey-holdout', { accounts: 260, contactsPerAccount: 6 });
    const ws = await newWorkspace(store, T0);
    const ids = new Map<string, string>();
    const rows = world.contacts.map((c) => {
      const id = newId('con', T0);
      ids.set(c.email, id);
      return {
        id,
        workspace_id: ws,
        external_id: c.externalId,
        email: c.email,
        first_name: c.firstName,
        last_name: c.lastName,
        time_zone: c.timeZone,
        lifecycle_stage: c.lifecycleStage,
        account_id: null,
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: T0,
        updated_at: T0,
      };
    });
    for (let i = 0; i < rows.length; i += 500)
      await store.db
        .insertInto('contacts')
        .values(rows.slice(i, i + 500))
        .execute();
    await setJourney(store, ws, { preset: 'default' }, T0);

    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'pricing-push',
          name: 'Pricing push',
          objective: 'pipeline',
          goal: { metric: 'conversions', event: 'pricing_page_viewed', target: 100, lookback_days: 21 },
          measurement: { holdout_percent: 50 },
          window: { start: '2027-06-07T09:00', end: '2027-06-28T09:00', timezone: 'UTC' },
          send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
          audience: {
            segment: { all: [{ attribute: 'lifecycle_stage', op: 'not_in', value: ['customer'] }] },
          },
          channels: ['log'],
          sequence: [
            {
              id: 'nudge',
              channel: 'log',
              delay: '0d',
              stage: { targets: 'awareness', moves_to: 'consideration' },
            },
          ],
          stage: { targets: 'awareness', moves_to: 'consideration' },
        },
      },
      T0,
    );
    await launchCampaign(store, ws, 'pricing-push', START, engineLaunchHooks);
    const clock = new SimulatedClock(START);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'journey-test' });
    await worker.tick();

    // What the market sees: who was touched, and when (the touches Baton performed).
    const sent = await store.db
      .selectFrom('touches')
      .innerJoin('contacts', 'contacts.id', 'touches.contact_id')
      .select(['contacts.email', 'touches.sent_at'])
      .where('touches.workspace_id', '=', ws)
      .where('touches.status', '=', 'sent')
      .execute();
    const touchedAt = new Map(sent.map((t) => [t.email!, Number(t.sent_at)]));
    const sim = simulateStageMoves(world, DEFAULT_TRUTH.stage, touchedAt, START, HORIZON, 'journey-holdout');
    await appendEvents(
      store.db,
      sim.moves.map((m, i) => ({
        workspaceId: ws,
        type: m.event,
        occurredAt: m.at,
        receivedAt: m.at,
        contactId: ids.get(m.email)!,
        messageId: `sim-${i}`,
      })),
    );
    await processEvents(store, HORIZON);

    const v = await loadJourneyFlows(
      store,
      ws,
      { from: '2027-06-01', to: '2027-06-28', campaign: 'pricing-push' },
      HORIZON,
    );
    const c = v.campaign!;
    const arms = await store.db
      .selectFrom('enrollments')
      .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
      .select(['contacts.email', 'enrollments.arm'])
      .where('enrollments.workspace_id', '=', ws)
      .execute();
    const armOf = new Map(arms.map((a) => [a.email!, a.arm]));
    const movedIn = (arm: string) => sim.moves.filter((m) => armOf.get(m.email) === arm).length;
    expect(c.treatment.enrolled + c.holdout.enrolled).toBe(arms.length);
    expect(c.holdout.enrolled).toBeGreaterThan(500);
    expect(c.treatment.enrolled).toBeGreaterThan(500);
    // Every simulated move of an enrolled person is one Awareness → Consideration move in its arm.
    expect(c.treatment.moved).toBe(movedIn('treatment'));
    expect(c.holdout.moved).toBe(movedIn('holdout'));
    expect(c.treatment.transitions).toEqual([
      { from: 'awareness', to: 'consideration', count: c.treatment.moved },
    ]);

    // The truth: the share of treated people who moved only because of the touch.
    const truth = sim.incremental / c.treatment.enrolled;
    expect(truth).toBeGreaterThan(0.05);
    const lift = c.lift!;
    expect(lift.interval.lower).toBeLessThanOrEqual(truth);
    expect(lift.interval.upper).toBeGreaterThanOrEqual(truth);
    // The campaign did move people: the interval excludes zero.
    expect(lift.interval.lower).toBeGreaterThan(0);
    // The holdout moved too (they would have anyway): its rate is the baseline's, well above zero.
    expect(c.holdout.rate!).toBeGreaterThan(0.05);
  });
});
