// The campaign report over HTTP carries an auto-winner step's recorded decision (both stores): null while
// the test share is still being measured, then the decision the engine's tick recorded — the variant, the
// verdict, who decided, the test share's counts and how many held contacts were released — with ISO times.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Worker } from '../../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import { newId } from '../../src/store/ids.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer } from './api-harness.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(dialects)('report API: the auto-winner decision (%s)', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('is null while the test runs and the recorded decision once the tick has decided', async () => {
    const ws = await newWorkspace(store, T0);
    const auth = await bearer(store, ws, ['read']);
    const rows = Array.from({ length: 400 }, (_, i) => ({
      id: newId('ct', T0),
      workspace_id: ws,
      email: `w${i}@example.org`,
      time_zone: 'UTC',
      lifecycle_stage: 'lead',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await store.db
        .insertInto('contacts')
        .values(rows.slice(i, i + 200))
        .execute();
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'subject-test',
          name: 'Subject test',
          objective: 'launch',
          goal: { metric: 'conversions', event: 'demo_booked', target: 10, lookback_days: 14 },
          window: { start: '2027-01-04T09:00', end: '2027-01-29T17:00', timezone: 'UTC' },
          audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
          channels: ['log'],
          send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
          sequence: [
            {
              id: 'intro',
              channel: 'log',
              variants: [
                { id: 'a', subject: 'Your pipeline in one view' },
                { id: 'b', subject: 'See the analytics add-on' },
              ],
              test: { share: 0.5, decide_after: '1d', metric: 'clicked' },
            },
          ],
        },
      },
      T0,
    );
    await launchCampaign(store, ws, 'subject-test', T0, engineLaunchHooks);
    const engineClock = new SimulatedClock(START);
    const worker = new Worker(store, defaultChannels(store), engineClock, { workerId: 'report-auto-winner' });
    await worker.tick();

    const touches = await store.db
      .selectFrom('touches')
      .select(['id', 'contact_id', 'variant_id', 'status'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'intro')
      .orderBy('id')
      .execute();
    const sent = (v: string) => touches.filter((t) => t.status === 'sent' && t.variant_id === v);
    const held = touches.filter((t) => t.status === 'held').length;
    expect(sent('a').length).toBeGreaterThan(0);
    expect(sent('b').length).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
    // Half of b's recipients click, one in twenty-five of a's.
    const clicks = [
      ...sent('b').filter((_, i) => i % 2 === 0),
      ...sent('a').filter((_, i) => i % 25 === 0),
    ].map((t) => ({
      id: newId('evt', START + HOUR),
      workspace_id: ws,
      message_id: `click:${t.id}:0`,
      type: 'clicked',
      contact_id: t.contact_id,
      account_id: null,
      anonymous_id: null,
      occurred_at: START + HOUR,
      received_at: START + HOUR,
      properties: '{}',
      campaign_id: 'subject-test',
      touch_id: t.id,
      step_id: null,
      variant_id: t.variant_id,
      channel: 'log',
    }));
    await store.db.insertInto('events').values(clicks).execute();
    const clicked = (v: string) => clicks.filter((c) => c.variant_id === v).length;

    const report = async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/campaigns/subject-test/report',
        headers: { authorization: auth },
      });
      expect(res.statusCode).toBe(200);
      return res.json() as { experiments: Array<{ step: string; autoWinner: unknown; winner: unknown }> };
    };

    clock.set(START + DAY - HOUR);
    const running = await report();
    expect(running.experiments).toHaveLength(1);
    expect(running.experiments[0]).toMatchObject({ step: 'intro', autoWinner: null });

    engineClock.set(START + DAY);
    expect((await worker.tick()).decided).toBe(1);
    clock.set(START + DAY + HOUR);
    const decided = await report();
    expect(decided.experiments[0]).toMatchObject({
      step: 'intro',
      winner: 'b',
      autoWinner: {
        campaignId: 'subject-test',
        stepId: 'intro',
        metric: 'clicked',
        firstSendAt: '2027-01-04T09:00:00.000Z',
        decideAt: '2027-01-05T09:00:00.000Z',
        decidedAt: '2027-01-05T09:00:00.000Z',
        variantId: 'b',
        verdict: 'winner',
        decidedBy: 'sequential_test',
        released: held,
        arms: [
          { id: 'a', n: sent('a').length, successes: clicked('a') },
          { id: 'b', n: sent('b').length, successes: clicked('b') },
        ],
      },
    });
    const w = decided.experiments[0]!.autoWinner as { reason: string; comparisons: unknown[] };
    expect(w.reason.length).toBeGreaterThan(0);
    expect(w.comparisons).toHaveLength(1);

    // The OpenAPI document describes the decision's fields.
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
    };
    type Props = { properties: Record<string, { properties?: Record<string, unknown> }> };
    const body = (
      doc.paths['/api/v1/campaigns/{id}/report']!.get.responses['200'] as {
        content: { 'application/json': { schema: Props } };
      }
    ).content['application/json'].schema;
    const items = (body.properties.experiments as unknown as { items: Props }).items;
    expect(Object.keys(items.properties.autoWinner?.properties ?? {})).toEqual(
      expect.arrayContaining(['variantId', 'verdict', 'decidedBy', 'decidedAt', 'arms', 'released']),
    );
  });
});
