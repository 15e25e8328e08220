// Opens and clicks no person made (`machine: true`: Apple Mail Privacy Protection's prefetch, link
// scanners) are not engagement: a step `when: { opened: … }` is skipped when the only open or click was a
// machine's and taken when a person opened, and the funnel counts neither a machine's open nor its click.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { computeFunnel, type FunnelEvent, type FunnelTouch } from '../../src/measure/funnel.js';
import { outcomesFromEvents } from '../../src/planning/conditions.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { newId } from '../../src/store/ids.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

async function addContact(store: TestStore, ws: string) {
  const id = newId('ct', T0);
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email: `${id.toLowerCase()}@example.com`,
      time_zone: 'UTC',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  return { id, account_id: null, time_zone: 'UTC' };
}

async function addRunningCampaign(store: TestStore, ws: string, input: CampaignInput) {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, T0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
  return buildRuntime(ws, spec, 1, workspaceSettings({}));
}

async function simulate(dispatcher: Dispatcher, from: number, to: number, step = 15 * MIN): Promise<void> {
  for (let t = from; t <= to; t += step) await dispatcher.drain(t);
}

describe.each(dialects)('machine opens and step conditions on %s', (dialect) => {
  let store: TestStore;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    channels = new ChannelRegistry();
    channels.register(new LogChannel(store, 'email'));
  });
  afterAll(() => store.dispose());

  it('skips `when: opened` when the only open or click was a machine’s, takes it when a person opened', async () => {
    const ws = await newWorkspace(store);
    const mpp = await addContact(store, ws); // only Apple MPP's prefetch
    const scanned = await addContact(store, ws); // only a link scanner's click
    const reader = await addContact(store, ws); // MPP's prefetch, then the person's own open
    const gmail = await addContact(store, ws); // opened in Gmail: the proxy's fetch is the person's open
    const silent = await addContact(store, ws); // nothing
    const rt = await addRunningCampaign(store, ws, {
      id: 'nurture',
      name: 'Nurture',
      objective: 'leads',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [
        { id: 'intro', channel: 'email', delay: '0d' },
        { id: 'follow', channel: 'email', delay: '2d', when: { opened: 'intro' } },
      ],
    });
    const everyone = [mpp, scanned, reader, gmail, silent];
    await enrollContacts(store, rt, everyone, T0);
    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    await simulate(dispatcher, T0, T0 + DAY);

    const introOf = (contactId: string) =>
      store.db
        .selectFrom('touches')
        .select(['id', 'status'])
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .where('step_id', '=', 'intro')
        .executeTakeFirstOrThrow();
    for (const c of everyone) expect((await introOf(c.id)).status).toBe('sent');
    // The events as the tracking routes record them (src/api/routes/tracking.routes.ts).
    const record = async (contactId: string, type: string, properties: Record<string, unknown>) => {
      const intro = await introOf(contactId);
      await store.db
        .insertInto('events')
        .values({
          id: newId('evt', T0),
          workspace_id: ws,
          message_id: null,
          type,
          contact_id: contactId,
          account_id: null,
          anonymous_id: null,
          occurred_at: T0 + 10 * 60 * MIN,
          received_at: T0 + 10 * 60 * MIN,
          properties: JSON.stringify(properties),
          campaign_id: 'nurture',
          touch_id: intro.id,
          step_id: 'intro',
          variant_id: null,
          channel: 'email',
        })
        .execute();
    };
    await record(mpp.id, 'opened', { machine: true, agent: 'apple_mail_privacy_protection' });
    await record(scanned.id, 'clicked', {
      url: 'https://example.com',
      index: 0,
      machine: true,
      agent: 'scanner',
    });
    await record(reader.id, 'opened', { machine: true, agent: 'apple_mail_privacy_protection' });
    await record(reader.id, 'opened', { machine: false });
    await record(gmail.id, 'opened', { machine: false, agent: 'gmail_image_proxy' });
    await simulate(dispatcher, T0 + DAY, T0 + 5 * DAY);

    const follows = await store.db
      .selectFrom('touches')
      .select(['contact_id', 'status', 'reason'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'follow')
      .execute();
    const of = new Map(follows.map((f) => [f.contact_id, f]));
    expect(of.get(mpp.id)).toMatchObject({ status: 'skipped', reason: 'condition_not_met' });
    expect(of.get(scanned.id)).toMatchObject({ status: 'skipped', reason: 'condition_not_met' });
    expect(of.get(silent.id)).toMatchObject({ status: 'skipped', reason: 'condition_not_met' });
    expect(of.get(reader.id)).toMatchObject({ status: 'sent' });
    expect(of.get(gmail.id)).toMatchObject({ status: 'sent' });
  });
});

describe('machine engagement outside the engine', () => {
  it('outcomesFromEvents ignores machine opens and clicks', () => {
    const o = outcomesFromEvents([
      { stepId: 'intro', type: 'opened', machine: true },
      { stepId: 'intro', type: 'clicked', machine: true },
      { stepId: 'intro', type: 'delivered' },
      { stepId: 'call', type: 'opened', machine: false },
    ]);
    expect([...o.entries()].map(([k, v]) => [k, [...v]])).toEqual([
      ['intro', ['delivered']],
      ['call', ['opened']],
    ]);
  });

  it('the funnel counts neither a machine’s click nor its open; a person’s click counts as both', () => {
    const touch = (id: string, contactId: string): FunnelTouch => ({
      id,
      contactId,
      stepId: 'intro',
      channel: 'email',
      variantId: null,
      status: 'sent',
      sentAt: T0,
    });
    const event = (type: string, contactId: string, touchId: string, machine: boolean): FunnelEvent => ({
      type,
      contactId,
      touchId,
      stepId: 'intro',
      channel: 'email',
      variantId: null,
      occurredAt: T0 + 60 * MIN,
      machine,
    });
    // c1: a scanner clicked (and MPP prefetched); c2: a person clicked; c3: a scanner's click only.
    const f = computeFunnel({
      enrollments: ['c1', 'c2', 'c3'].map((contactId) => ({ contactId, accountId: null, arm: 'treatment' })),
      touches: [touch('t1', 'c1'), touch('t2', 'c2'), touch('t3', 'c3')],
      events: [
        event('delivered', 'c1', 't1', false),
        event('delivered', 'c2', 't2', false),
        event('delivered', 'c3', 't3', false),
        event('opened', 'c1', 't1', true),
        event('clicked', 'c1', 't1', true),
        event('clicked', 'c2', 't2', false),
        event('clicked', 'c3', 't3', true),
      ],
      conversions: [],
      lookbackMs: 30 * DAY,
      steps: [{ id: 'intro', channel: 'email' }],
    });
    expect(f.campaign.counts).toMatchObject({ delivered: 3, opened: 1, clicked: 1 });
    expect(f.campaign.rates.click_rate).toMatchObject({ numerator: 1, denominator: 3 });
    expect(f.steps[0]!.counts).toMatchObject({ delivered: 3, opened: 1, clicked: 1 });
  });
});
