// A campaign run by the engine for the report tests: 60 leads, a 20% holdout, an A/B intro and a nudge on the
// log channel, and a few touch and goal events written as channels and ingestion would.
import { defaultChannels } from '../src/channels/registry.js';
import { engineLaunchHooks } from '../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { processEvents } from '../src/engine/event-processor.js';
import { Worker } from '../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../src/store/campaigns/index.js';
import type { Store } from '../src/store/db.js';
import { appendEvents, type NewEvent } from '../src/store/events.repository.js';
import { newId } from '../src/store/ids.js';

export const T0 = Date.parse('2027-01-04T08:00:00Z');

export const reportCampaign = {
  id: 'report-push',
  name: 'Report push',
  objective: 'pipeline',
  goal: { metric: 'conversions', event: 'demo_booked', target: 5, lookback_days: 14 },
  measurement: { holdout_percent: 20 },
  window: { start: '2027-01-04T09:00', end: '2027-01-22T17:00', timezone: 'UTC' },
  budget: { amount: 1000, currency: 'USD', spend: { log: 600 } },
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['log'],
  sequence: [
    {
      id: 'intro',
      channel: 'log',
      delay: '0d',
      variants: [
        { id: 'a', weight: 50 },
        { id: 'b', weight: 50 },
      ],
    },
    { id: 'nudge', channel: 'log', delay: '2d' },
  ],
};

/**
 * 60 leads enrolled, launched and sent the intro by the engine; then, for the first four treated contacts'
 * intro touches: delivered ×4, a person's open (0), a machine open and a link scanner's click (1), a click
 * (2), and demo_booked for
 * contacts 0 (value 100) and 2, and for the first held-out contact. Returns the ids and counts the checks use.
 */
export async function runReportCampaign(store: Store, ws: string) {
  const rows = [];
  for (let i = 0; i < 60; i++) {
    rows.push({
      id: newId('ct', T0),
      workspace_id: ws,
      email: `r${i}@example.org`,
      time_zone: 'UTC',
      lifecycle_stage: 'lead',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    });
  }
  await store.db.insertInto('contacts').values(rows).execute();
  await applyCampaign(store, ws, { spec: reportCampaign }, T0);
  await launchCampaign(store, ws, reportCampaign.id, T0, engineLaunchHooks);
  const clock = new SimulatedClock(Date.parse('2027-01-04T09:00:00Z'));
  const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test', processEvents });
  await worker.tick();

  const enrollments = await store.db
    .selectFrom('enrollments')
    .select(['contact_id', 'arm'])
    .where('workspace_id', '=', ws)
    .orderBy('contact_id')
    .execute();
  const treated = enrollments.filter((e) => e.arm === 'treatment').map((e) => e.contact_id);
  const held = enrollments.filter((e) => e.arm === 'holdout').map((e) => e.contact_id);
  const touches = await store.db
    .selectFrom('touches')
    .select(['id', 'contact_id', 'step_id', 'variant_id', 'channel', 'sent_at'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'sent')
    .execute();
  const introOf = (contact: string) =>
    touches.find((t) => t.contact_id === contact && t.step_id === 'intro')!;
  const at = Date.parse('2027-01-04T12:00:00Z');
  const touchEvent = (type: string, i: number, properties: Record<string, unknown> = {}): NewEvent => {
    const t = introOf(treated[i]!);
    return {
      workspaceId: ws,
      type,
      occurredAt: at,
      receivedAt: at,
      contactId: t.contact_id,
      properties,
      campaignId: reportCampaign.id,
      touchId: t.id,
      stepId: t.step_id,
      variantId: t.variant_id,
      channel: t.channel,
    };
  };
  const booked = (contactId: string, value?: number): NewEvent => ({
    workspaceId: ws,
    type: 'demo_booked',
    occurredAt: Date.parse('2027-01-05T10:00:00Z'),
    receivedAt: Date.parse('2027-01-05T10:00:00Z'),
    contactId,
    properties: value === undefined ? {} : { value },
  });
  await appendEvents(store.db, [
    ...[0, 1, 2, 3].map((i) => touchEvent('delivered', i)),
    touchEvent('opened', 0),
    touchEvent('opened', 1, { machine: true }),
    // A security scanner following the link: no person clicked, so contact 1 counts as neither.
    touchEvent('clicked', 1, { machine: true }),
    touchEvent('clicked', 2),
    booked(treated[0]!, 100),
    booked(treated[2]!),
    booked(held[0]!),
  ]);
  clock.set(Date.parse('2027-01-05T12:00:00Z'));
  await worker.tick();
  return {
    treated,
    held,
    touches,
    clock,
    worker,
    touchEvent,
    variantOf: (i: number) => introOf(treated[i]!).variant_id,
  };
}
