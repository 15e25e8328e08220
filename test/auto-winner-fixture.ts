// An auto-winner campaign run by the engine for the report tests: `contacts` people of one lifecycle stage,
// an intro step testing subjects a and b on half of them (decide_after 1d, on clicks), b clicked by half of
// its recipients and a by one in twenty-five, then the worker's tick at the decision time.
import { defaultChannels } from '../src/channels/registry.js';
import { engineLaunchHooks } from '../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { Worker } from '../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../src/store/campaigns/index.js';
import type { Store } from '../src/store/db.js';
import { newId } from '../src/store/ids.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
export const AUTO_WINNER_START = Date.parse('2027-01-04T09:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export async function runAutoWinnerCampaign(
  store: Store,
  ws: string,
  opts: { id?: string; contacts?: number; lifecycle?: string; decide?: boolean } = {},
) {
  const id = opts.id ?? 'subject-test';
  const lifecycle = opts.lifecycle ?? 'lead';
  const rows = Array.from({ length: opts.contacts ?? 400 }, (_, i) => ({
    id: newId('ct', T0),
    workspace_id: ws,
    email: `${id}-${i}@example.org`,
    time_zone: 'UTC',
    lifecycle_stage: lifecycle,
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
        id,
        name: 'Subject test',
        objective: 'launch',
        goal: { metric: 'conversions', event: 'demo_booked', target: 10, lookback_days: 14 },
        window: { start: '2027-01-04T09:00', end: '2027-01-29T17:00', timezone: 'UTC' },
        audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: lifecycle }] } },
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
  await launchCampaign(store, ws, id, T0, engineLaunchHooks);
  const clock = new SimulatedClock(AUTO_WINNER_START);
  const worker = new Worker(store, defaultChannels(store), clock, { workerId: `auto-winner-${id}` });
  await worker.tick();

  const touches = await store.db
    .selectFrom('touches')
    .select(['id', 'contact_id', 'variant_id', 'status'])
    .where('workspace_id', '=', ws)
    .where('campaign_id', '=', id)
    .where('step_id', '=', 'intro')
    .orderBy('id')
    .execute();
  const sent = (v: string) => touches.filter((t) => t.status === 'sent' && t.variant_id === v);
  const held = touches.filter((t) => t.status === 'held').length;
  const at = AUTO_WINNER_START + HOUR;
  const clicks = [
    ...sent('b').filter((_, i) => i % 2 === 0),
    ...sent('a').filter((_, i) => i % 25 === 0),
  ].map((t) => ({
    id: newId('evt', at),
    workspace_id: ws,
    message_id: `click:${t.id}:0`,
    type: 'clicked',
    contact_id: t.contact_id,
    account_id: null,
    anonymous_id: null,
    occurred_at: at,
    received_at: at,
    properties: '{}',
    campaign_id: id,
    touch_id: t.id,
    step_id: null,
    variant_id: t.variant_id,
    channel: 'log',
  }));
  for (let i = 0; i < clicks.length; i += 200)
    await store.db
      .insertInto('events')
      .values(clicks.slice(i, i + 200))
      .execute();
  const decide = async () => {
    clock.set(AUTO_WINNER_START + DAY);
    return (await worker.tick()).decided;
  };
  if (opts.decide) await decide();
  return {
    id,
    /** Sent touches of a variant in the test share. */
    sent: (v: string) => sent(v).length,
    /** Test-share contacts of a variant who clicked. */
    clicked: (v: string) => clicks.filter((c) => c.variant_id === v).length,
    held,
    decide,
  };
}
