// Lint and launch judge the same audience: the channel whose reachability filters it is one rule
// (`specReachChannel`), so for a sequence that texts first and emails later, lint's audience count and
// launch's enrollments are the same people (the email-reachable ones), on both dialects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignInput } from '../src/domain/campaign.js';
import { campaignSchema } from '../src/domain/campaign.js';
import { engineLaunchHooks, reachChannel } from '../src/engine/campaign-hooks.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { applyCampaign, launchCampaign } from '../src/store/campaigns/index.js';
import { gatherLintFacts } from '../src/store/campaigns/lint-facts.js';
import { specReachChannel } from '../src/store/campaigns/reach-channel.js';
import { newId } from '../src/store/ids.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

const steps = (...channels: string[]) =>
  channels.map((channel, i) => ({ id: `s${i}`, channel, body: 'Hi', subject: 'Hi' }));

describe('the channel that filters a campaign audience', () => {
  it.each([
    [['sms', 'email'], 'email'],
    [['webhook', 'email'], 'email'],
    [['email', 'sms'], 'email'],
    [['task', 'sms', 'log'], 'sms'],
    [['sms'], 'sms'],
    [['webhook', 'task', 'log'], 'none'],
    [[], 'none'],
  ])('%j → %s', (channels, expected) => {
    const spec = campaignSchema.parse({
      id: 'c',
      name: 'C',
      objective: 'leads',
      channels,
      sequence: steps(...channels).map((s) =>
        s.channel === 'webhook' ? { ...s, webhook: { url: 'https://hooks.example.com/x' } } : s,
      ),
    });
    expect(specReachChannel(spec)).toBe(expected);
  });
});

describe.each(dialects)('lint and launch agree on the audience on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('counts and enrolls the email-reachable people of a [sms, email] sequence', async () => {
    const ws = await newWorkspace(store, NOW);
    // Both addresses; email only; phone with SMS consent only. All three are leads.
    const people = [
      { key: 'both', email: 'both@example.test', phone: '+14155550101', sms_consent: 1 },
      { key: 'email', email: 'email@example.test', phone: null, sms_consent: 0 },
      { key: 'sms', email: null, phone: '+14155550103', sms_consent: 1 },
    ].map((p) => ({ ...p, id: newId('ct', NOW) }));
    await store.db
      .insertInto('contacts')
      .values(
        people.map((p) => ({
          id: p.id,
          workspace_id: ws,
          email: p.email,
          phone: p.phone,
          sms_consent: p.sms_consent,
          lifecycle_stage: 'lead',
          subscription_status: 'subscribed',
          time_zone: 'UTC',
          attributes: '{}',
          created_at: NOW,
          updated_at: NOW,
        })),
      )
      .execute();
    const input: CampaignInput = {
      id: 'text-then-mail',
      name: 'Text then mail',
      objective: 'leads',
      goal: { metric: 'conversions', event: 'demo_booked', target: 1, lookback_days: 30 },
      window: { start: '2027-01-04T09:00', end: '2027-02-23T17:00', timezone: 'UTC' },
      audience: { segment: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' } },
      channels: ['sms', 'email'],
      sequence: [
        { id: 'text', channel: 'sms', body: 'Demo this week? Reply STOP to opt out.' },
        {
          id: 'mail',
          channel: 'email',
          delay: '2d',
          subject: 'Demo',
          body: 'Book a demo. <a href="{{ links.unsubscribe }}">Unsubscribe</a>',
        },
      ],
    };
    await applyCampaign(store, ws, { spec: input }, NOW);
    const campaign = (await new CampaignsRepository(store).get(ws, input.id))!;
    expect(reachChannel(campaign)).toBe('email');

    const facts = await gatherLintFacts(store, ws, campaign.spec, NOW);
    // Lint's denominator is the email-reachable contacts (both, email) and its count the same two.
    expect(facts.audience).toMatchObject({ count: 2, reachable: 2 });

    const launched = await launchCampaign(store, ws, input.id, NOW, engineLaunchHooks);
    expect(launched.campaign.status).toBe('running');
    const enrolled = await store.db
      .selectFrom('enrollments')
      .select('contact_id')
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', input.id)
      .execute();
    const byId = new Map(people.map((p) => [p.id, p.key]));
    expect(enrolled.map((e) => byId.get(e.contact_id)).sort()).toEqual(['both', 'email']);
    expect(enrolled).toHaveLength(facts.audience!.count);
  });
});
