// The suppression list on every channel, on both stores: a suppressed person is not enrolled by a campaign
// that starts with a text, a task or a webhook, and a suppression added after enrollment stops their next
// text, task or webhook at claim time (skipped `suppressed`, the enrollment exits); everyone else is touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { enrollAudience } from '../../src/engine/campaign-hooks.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { SuppressionsRepository } from '../../src/store/suppressions.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRST_CHANNELS = ['sms', 'task', 'webhook'] as const;

/** A contact every channel can reach: an address, a phone, SMS consent, subscribed. */
async function addContact(store: TestStore, ws: string, name: string, email: string) {
  const id = `${ws}_${name}`;
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email,
      phone: '+15550100',
      time_zone: 'UTC',
      subscription_status: 'subscribed',
      sms_consent: 1,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  return { id, account_id: null, time_zone: 'UTC' };
}

/** Two steps on one channel, a day apart, for everyone in the workspace. */
function campaign(channel: (typeof FIRST_CHANNELS)[number]): CampaignInput {
  const extra = channel === 'webhook' ? { webhook: { url: 'https://hooks.example.com/baton' } } : {};
  return {
    id: `${channel}-first`,
    name: `${channel} first`,
    objective: 'launch',
    window: { start: '2027-01-04T00:00', end: '2027-02-26T00:00', timezone: 'UTC' },
    channels: [channel],
    sequence: [
      { id: 'first', channel, delay: '0d', ...extra },
      { id: 'second', channel, delay: '1d', ...extra },
    ],
  };
}

async function insertCampaign(store: TestStore, ws: string, input: CampaignInput) {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, T0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
  return (await repo.get(ws, spec.id))!;
}

describe.each(dialects)('suppression on every channel on %s', (dialect) => {
  let store: TestStore;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    channels = new ChannelRegistry();
    for (const name of FIRST_CHANNELS) channels.register(new LogChannel(store, name));
  });
  afterAll(() => store.dispose());

  it.each(FIRST_CHANNELS)(
    'a launch leaves out suppressed people when the first step is %s',
    async (channel) => {
      const ws = await newWorkspace(store);
      const ok = await addContact(store, ws, 'ok', 'Ok.Person@fine.com');
      await addContact(store, ws, 'domain', 'Dana@blocked.org');
      await addContact(store, ws, 'address', 'Sam.Jones@fine.com');
      const sup = new SuppressionsRepository(store);
      await sup.add(ws, { value: 'Blocked.ORG', reason: 'manual' }, T0);
      await sup.add(ws, { value: 'sam.jones@fine.com', reason: 'manual' }, T0);
      const c = await insertCampaign(store, ws, campaign(channel));

      await enrollAudience(store, c, T0);
      const enrolled = await store.db
        .selectFrom('enrollments')
        .select('contact_id')
        .where('workspace_id', '=', ws)
        .execute();
      expect(enrolled.map((e) => e.contact_id)).toEqual([ok.id]);
    },
  );

  it.each(FIRST_CHANNELS)(
    'a suppression added after enrollment stops the next %s touch at claim time',
    async (channel) => {
      const ws = await newWorkspace(store);
      const ok = await addContact(store, ws, 'ok', 'ok@fine.com');
      const byDomain = await addContact(store, ws, 'domain', 'Dana@Blocked.org');
      const byAddress = await addContact(store, ws, 'address', 'Sam.Jones@fine.com');
      const c = await insertCampaign(store, ws, campaign(channel));
      const rt = buildRuntime(ws, c.spec, c.revision, workspaceSettings({}));
      await enrollContacts(store, rt, [ok, byDomain, byAddress], T0);
      const sup = new SuppressionsRepository(store);
      await sup.add(ws, { value: 'blocked.org', reason: 'manual' }, T0);
      await sup.add(ws, { value: 'sam.jones@fine.com', reason: 'manual' }, T0);

      const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
      for (let t = T0; t <= T0 + 4 * DAY; t += HOUR) await dispatcher.drain(t);

      const touches = await store.db
        .selectFrom('touches')
        .select(['contact_id', 'step_id', 'status', 'reason'])
        .where('workspace_id', '=', ws)
        .orderBy('contact_id')
        .orderBy('step_index')
        .execute();
      expect(touches.map((t) => [t.contact_id, t.step_id, t.status, t.reason])).toEqual(
        [
          // The suppressed: the first touch skipped, no second one planned.
          [byAddress.id, 'first', 'skipped', 'suppressed'],
          [byDomain.id, 'first', 'skipped', 'suppressed'],
          [ok.id, 'first', 'sent', null],
          [ok.id, 'second', 'sent', null],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      // Nothing reached the channel for them.
      const logged = await store.db
        .selectFrom('channel_log')
        .innerJoin('touches', 'touches.id', 'channel_log.touch_id')
        .select('touches.contact_id')
        .where('touches.workspace_id', '=', ws)
        .execute();
      expect(logged.map((l) => l.contact_id)).toEqual([ok.id, ok.id]);
      const enrollments = await store.db
        .selectFrom('enrollments')
        .select(['contact_id', 'state', 'exit_reason'])
        .where('workspace_id', '=', ws)
        .orderBy('contact_id')
        .execute();
      expect(Object.fromEntries(enrollments.map((e) => [e.contact_id, [e.state, e.exit_reason]]))).toEqual({
        [ok.id]: ['completed', 'sequence_done'],
        [byDomain.id]: ['exited', 'suppressed'],
        [byAddress.id]: ['exited', 'suppressed'],
      });
    },
  );
});
