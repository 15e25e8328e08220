// Launch to completion through the engine: the audience is enrolled at launch with a deterministic
// holdout, a paused campaign holds its touches, resume releases them, and the window's end closes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { engineLaunchHooks, releaseHeldTouches } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Worker } from '../../src/engine/worker.js';
import {
  applyCampaign,
  launchCampaign,
  pauseCampaign,
  resumeCampaign,
} from '../../src/store/campaigns/index.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { newId } from '../../src/store/ids.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const HOUR = 3_600_000;

describe.each(dialects)('campaign lifecycle through the engine on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('enrolls at launch, holds while paused, releases on resume and closes at the end', async () => {
    const ws = await newWorkspace(store, T0);
    const rows = [];
    for (let i = 0; i < 200; i++) {
      rows.push({
        id: newId('ct', T0),
        workspace_id: ws,
        email: `p${i}@example.org`,
        time_zone: 'UTC',
        lifecycle_stage: i % 2 === 0 ? 'lead' : 'customer',
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: T0,
        updated_at: T0,
      });
    }
    await store.db.insertInto('contacts').values(rows).execute();
    await store.db
      .insertInto('events')
      .values({
        id: newId('evt', T0),
        workspace_id: ws,
        message_id: null,
        type: 'demo_booked',
        contact_id: null,
        account_id: null,
        anonymous_id: null,
        occurred_at: T0 - HOUR,
        received_at: T0 - HOUR,
        properties: '{}',
        campaign_id: null,
        touch_id: null,
        step_id: null,
        variant_id: null,
        channel: null,
      })
      .execute();
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'leads-push',
          name: 'Leads push',
          objective: 'pipeline',
          goal: { metric: 'conversions', event: 'demo_booked', target: 10, lookback_days: 14 },
          measurement: { holdout_percent: 20 },
          window: { start: '2027-01-04T09:00', end: '2027-01-22T17:00', timezone: 'UTC' },
          audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
          channels: ['log'],
          sequence: [
            { id: 'one', channel: 'log', delay: '0d' },
            { id: 'two', channel: 'log', delay: '2d' },
          ],
        },
      },
      T0,
    );
    const { campaign } = await launchCampaign(store, ws, 'leads-push', T0, engineLaunchHooks);
    expect(campaign.status).toBe('scheduled');
    const enrollments = await store.db
      .selectFrom('enrollments')
      .select(['arm'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(enrollments).toHaveLength(100);
    const holdout = enrollments.filter((e) => e.arm === 'holdout').length;
    expect(holdout).toBeGreaterThan(5);
    expect(holdout).toBeLessThan(40);

    // The worker serves every workspace of the shared test database: count only this test's rows.
    const sentHere = async (): Promise<number> =>
      Number(
        (
          await store.db
            .selectFrom('touches')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', ws)
            .where('status', '=', 'sent')
            .executeTakeFirst()
        )?.n,
      );
    const status = async (): Promise<string | undefined> =>
      (await new CampaignsRepository(store).get(ws, 'leads-push'))?.status;
    const clock = new SimulatedClock(T0);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test' });
    clock.set(Date.parse('2027-01-04T09:00:00Z'));
    await worker.tick();
    expect(await status()).toBe('running');
    expect(await sentHere()).toBe(100 - holdout);

    await pauseCampaign(store, ws, 'leads-push', clock.now());
    clock.set(Date.parse('2027-01-06T10:00:00Z'));
    await worker.tick();
    expect(await sentHere()).toBe(100 - holdout);
    const held = await store.db
      .selectFrom('touches')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('status', '=', 'held')
      .executeTakeFirst();
    expect(Number(held?.n)).toBe(100 - holdout);

    await resumeCampaign(store, ws, 'leads-push', clock.now());
    expect(await releaseHeldTouches(store, ws, 'leads-push', clock.now())).toBe(100 - holdout);
    await worker.tick();
    expect(await sentHere()).toBe(2 * (100 - holdout));

    clock.set(Date.parse('2027-01-22T17:00:00Z'));
    await worker.tick();
    expect(await status()).toBe('completed');
    const open = await store.db
      .selectFrom('enrollments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('state', '=', 'active')
      .executeTakeFirst();
    expect(Number(open?.n)).toBe(0);
  });
});
