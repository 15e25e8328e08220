// The engine end to end on both stores: enrollment, planning in each person's zone, caps shared by two
// campaigns with priority, step conditions, unsubscribes honoured at claim time, expired leases.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { newId } from '../../src/store/ids.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const MIN = 60_000;

async function addContact(store: TestStore, ws: string, zone: string, extra: Record<string, unknown> = {}) {
  const id = newId('ct', T0);
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email: `${id.toLowerCase()}@example.com`,
      time_zone: zone,
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
      ...extra,
    })
    .execute();
  return { id, account_id: null, time_zone: zone };
}

async function addRunningCampaign(store: TestStore, ws: string, input: CampaignInput) {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, T0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
  return buildRuntime(ws, spec, 1, workspaceSettings({}));
}

async function simulate(dispatcher: Dispatcher, from: number, to: number, step = 15 * MIN): Promise<void> {
  for (let t = from; t <= to; t += step) {
    await dispatcher.drain(t);
  }
}

describe.each(dialects)('engine dispatch on %s', (dialect) => {
  let store: TestStore;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    channels = new ChannelRegistry();
    for (const name of ['email', 'task', 'log', 'ads']) channels.register(new LogChannel(store, name));
  });
  afterAll(() => store.dispose());

  it('touches people in their own send window, under the shared caps, higher priority first', async () => {
    const ws = await newWorkspace(store);
    const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Lord_Howe'];
    const contacts = [];
    for (const z of zones) contacts.push(await addContact(store, ws, z));
    const window = { start: '2027-01-04T00:00', end: '2027-02-26T00:00', timezone: 'UTC' };
    const big = await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Launch',
      objective: 'launch',
      priority: 80,
      window,
      channels: ['email', 'task'],
      sequence: [
        { id: 'intro', channel: 'email', delay: '0d' },
        { id: 'call', channel: 'task', delay: '1bd' },
        { id: 'followup', channel: 'email', delay: '2d' },
      ],
    });
    const small = await addRunningCampaign(store, ws, {
      id: 'newsletter',
      name: 'Newsletter',
      objective: 'awareness',
      priority: 20,
      window,
      channels: ['email'],
      sequence: [
        { id: 'issue-1', channel: 'email', delay: '0d' },
        { id: 'issue-2', channel: 'email', delay: '0d' },
      ],
    });
    await enrollContacts(store, small, contacts, T0);
    await enrollContacts(store, big, contacts, T0);

    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    await simulate(dispatcher, T0, T0 + 21 * 24 * 60 * MIN);

    const sent = await store.db
      .selectFrom('touches')
      .select(['contact_id', 'campaign_id', 'step_id', 'sent_at'])
      .where('workspace_id', '=', ws)
      .where('status', '=', 'sent')
      .orderBy('sent_at')
      .execute();
    expect(sent).toHaveLength(contacts.length * 5);
    for (const c of contacts) {
      const mine = sent.filter((s) => s.contact_id === c.id);
      const local = mine.map((s) => DateTime.fromMillis(Number(s.sent_at), { zone: c.time_zone }));
      // Send window: Monday–Friday, 09:00–17:00 in the contact's own zone.
      for (const d of local) {
        expect(d.weekday).toBeLessThanOrEqual(5);
        expect(d.hour).toBeGreaterThanOrEqual(9);
        expect(d.hour).toBeLessThan(17);
      }
      // At most one touch per local day, three per rolling seven days.
      const days = local.map((d) => d.toISODate());
      expect(new Set(days).size).toBe(days.length);
      const times = mine.map((s) => Number(s.sent_at));
      for (const t of times)
        expect(times.filter((u) => u >= t && u < t + 7 * 24 * 60 * MIN).length).toBeLessThanOrEqual(3);
      // Priority: the launch's first touch goes before the newsletter's on the first day.
      expect(mine[0]?.campaign_id).toBe('launch');
    }
    const channelLog = await store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    expect(Number(channelLog?.n)).toBe(contacts.length * 5);
    const events = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('type', '=', 'sent')
      .executeTakeFirst();
    expect(Number(events?.n)).toBe(contacts.length * 5);
  });

  it('skips a conditional step when the condition fails and honours unsubscribes at claim time', async () => {
    const ws = await newWorkspace(store);
    const clicker = await addContact(store, ws, 'UTC');
    const quiet = await addContact(store, ws, 'UTC');
    const leaver = await addContact(store, ws, 'UTC');
    const rt = await addRunningCampaign(store, ws, {
      id: 'nurture',
      name: 'Nurture',
      objective: 'leads',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [
        { id: 'intro', channel: 'email', delay: '0d' },
        { id: 'nudge', channel: 'email', delay: '2d', when: { not: { clicked: 'intro' } } },
      ],
    });
    await enrollContacts(store, rt, [clicker, quiet, leaver], T0);
    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    await simulate(dispatcher, T0, T0 + 24 * 60 * MIN);

    const introOf = async (contactId: string) =>
      (await store.db
        .selectFrom('touches')
        .selectAll()
        .where('contact_id', '=', contactId)
        .where('step_id', '=', 'intro')
        .executeTakeFirstOrThrow())!;
    const intro = await introOf(clicker.id);
    expect(intro.status).toBe('sent');
    await store.db
      .insertInto('events')
      .values({
        id: newId('evt', T0),
        workspace_id: ws,
        message_id: null,
        type: 'clicked',
        contact_id: clicker.id,
        account_id: null,
        anonymous_id: null,
        occurred_at: T0 + 10 * 60 * MIN,
        received_at: T0 + 10 * 60 * MIN,
        properties: '{}',
        campaign_id: 'nurture',
        touch_id: intro.id,
        step_id: 'intro',
        variant_id: null,
        channel: 'email',
      })
      .execute();
    await store.db
      .updateTable('contacts')
      .set({ subscription_status: 'unsubscribed' })
      .where('id', '=', leaver.id)
      .execute();
    await simulate(dispatcher, T0 + 24 * 60 * MIN, T0 + 5 * 24 * 60 * MIN);

    const nudges = await store.db
      .selectFrom('touches')
      .select(['contact_id', 'status', 'reason'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'nudge')
      .execute();
    const byContact = new Map(nudges.map((n) => [n.contact_id, n]));
    expect(byContact.get(clicker.id)).toMatchObject({ status: 'skipped', reason: 'condition_not_met' });
    expect(byContact.get(quiet.id)).toMatchObject({ status: 'sent' });
    expect(byContact.get(leaver.id)).toMatchObject({ status: 'skipped', reason: 'unsubscribed' });
    const leaverEnrollment = await store.db
      .selectFrom('enrollments')
      .select(['state', 'exit_reason'])
      .where('contact_id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    expect(leaverEnrollment).toEqual({ state: 'exited', exit_reason: 'unsubscribed' });
  });

  it('returns a touch whose lease expired to the queue and sends it once', async () => {
    const ws = await newWorkspace(store);
    const c = await addContact(store, ws, 'UTC');
    const rt = await addRunningCampaign(store, ws, {
      id: 'one',
      name: 'One touch',
      objective: 'custom',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [{ id: 'only', channel: 'email', delay: '0d' }],
    });
    await enrollContacts(store, rt, [c], T0);
    const nineAm = Date.parse('2027-01-04T09:00:00Z');
    // A worker claimed it and died before sending: the row is claimed with a lease in the past.
    await store.db
      .updateTable('touches')
      .set({ status: 'claimed', lease_until: nineAm - 1, claimed_by: 'dead', sent_at: nineAm - 10 * MIN })
      .where('contact_id', '=', c.id)
      .execute();
    const stats = await new Dispatcher(store, channels, { workerId: 'w2' }).drain(nineAm);
    expect(stats.reclaimed).toBe(1);
    expect(stats.sent).toBe(1);
    const t = await store.db
      .selectFrom('touches')
      .selectAll()
      .where('contact_id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(t.status).toBe('sent');
    expect(Number(t.sent_at)).toBe(nineAm);
  });

  it('never enrolls a person twice at once, and lets them re-enter an always-on program after the pause', async () => {
    const ws = await newWorkspace(store);
    const c = await addContact(store, ws, 'UTC');
    const rt = await addRunningCampaign(store, ws, {
      id: 'onboarding',
      name: 'Onboarding',
      kind: 'always-on',
      objective: 'retention',
      window: { start: '2027-01-04T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [{ id: 'hello', channel: 'email', delay: '0d' }],
      reentry: { allowed: true, after_days: 30 },
    });
    expect((await enrollContacts(store, rt, [c], T0)).enrolled).toBe(1);
    expect((await enrollContacts(store, rt, [c], T0 + MIN)).alreadyEnrolled).toBe(1);
    await store.db
      .updateTable('enrollments')
      .set({ state: 'completed', exited_at: T0 + 60 * MIN })
      .where('contact_id', '=', c.id)
      .execute();
    const DAY = 24 * 60 * MIN;
    expect((await enrollContacts(store, rt, [c], T0 + 10 * DAY)).alreadyEnrolled).toBe(1);
    expect((await enrollContacts(store, rt, [c], T0 + 31 * DAY)).enrolled).toBe(1);
    const cycles = await store.db
      .selectFrom('enrollments')
      .select(['cycle', 'state'])
      .where('contact_id', '=', c.id)
      .orderBy('cycle')
      .execute();
    expect(cycles).toEqual([
      { cycle: 0, state: 'completed' },
      { cycle: 1, state: 'active' },
    ]);
  });

  it('lets touches on exempt channels pass the caps without counting toward them', async () => {
    // The default workspace caps: one touch a day, `ads` and `log` exempt.
    const ws = await newWorkspace(store);
    const c = await addContact(store, ws, 'UTC');
    const window = { start: '2027-01-04T00:00', end: '2027-02-26T00:00', timezone: 'UTC' };
    const ads = await addRunningCampaign(store, ws, {
      id: 'retarget',
      name: 'Retarget',
      objective: 'awareness',
      priority: 50,
      window,
      channels: ['ads'],
      sequence: [{ id: 'audience', channel: 'ads', delay: '0d' }],
    });
    const mail = await addRunningCampaign(store, ws, {
      id: 'welcome',
      name: 'Welcome',
      objective: 'retention',
      priority: 50,
      window,
      channels: ['email'],
      sequence: [{ id: 'hello', channel: 'email', delay: '0d' }],
    });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    await enrollContacts(store, ads, [c], T0);
    // Monday 09:00 UTC, the start of the contact's send window: the ads touch goes out.
    const nine = T0 + 9 * 60 * MIN;
    await dispatcher.drain(nine);
    // 10:00: the email is due, on a day whose only touch so far is exempt.
    const ten = T0 + 10 * 60 * MIN;
    await enrollContacts(store, mail, [c], ten);
    await dispatcher.drain(ten);
    const rows = await store.db
      .selectFrom('touches')
      .select(['campaign_id', 'status', 'sent_at', 'deferrals'])
      .where('workspace_id', '=', ws)
      .orderBy('campaign_id')
      .execute();
    expect(rows.map((r) => ({ ...r, sent_at: Number(r.sent_at), deferrals: Number(r.deferrals) }))).toEqual([
      { campaign_id: 'retarget', status: 'sent', sent_at: nine, deferrals: 0 },
      { campaign_id: 'welcome', status: 'sent', sent_at: ten, deferrals: 0 },
    ]);
  });

  it('ends the sequence of a person whose touch the caps would push past the campaign end', async () => {
    const ws = await newWorkspace(store);
    const c = await addContact(store, ws, 'UTC');
    const first = await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Launch',
      objective: 'launch',
      priority: 80,
      window: { start: '2027-01-04T00:00', end: '2027-02-26T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [{ id: 'intro', channel: 'email', delay: '0d' }],
    });
    // Ends Monday 17:00: after the launch email takes Monday's one touch, the next slot (Tuesday 09:00) is late.
    const late = await addRunningCampaign(store, ws, {
      id: 'flash',
      name: 'Flash sale',
      objective: 'pipeline',
      priority: 20,
      window: { start: '2027-01-04T00:00', end: '2027-01-04T17:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [
        { id: 'offer', channel: 'email', delay: '0d' },
        { id: 'reminder', channel: 'email', delay: '0d' },
      ],
    });
    await enrollContacts(store, first, [c], T0);
    await enrollContacts(store, late, [c], T0);
    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    await dispatcher.drain(T0 + 9 * 60 * MIN);
    const touches = await store.db
      .selectFrom('touches')
      .select(['campaign_id', 'step_id', 'status', 'reason'])
      .where('workspace_id', '=', ws)
      .orderBy('campaign_id')
      .execute();
    expect(touches).toEqual([
      { campaign_id: 'flash', step_id: 'offer', status: 'skipped', reason: 'window_closed' },
      { campaign_id: 'launch', step_id: 'intro', status: 'sent', reason: null },
    ]);
    const enrollments = await store.db
      .selectFrom('enrollments')
      .select(['campaign_id', 'state', 'exit_reason'])
      .where('workspace_id', '=', ws)
      .orderBy('campaign_id')
      .execute();
    expect(enrollments).toEqual([
      { campaign_id: 'flash', state: 'completed', exit_reason: 'sequence_done' },
      { campaign_id: 'launch', state: 'completed', exit_reason: 'sequence_done' },
    ]);
  });
});
