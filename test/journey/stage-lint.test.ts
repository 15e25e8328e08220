// Stage intent in the guardrails, on both stores: the lint facts read where the audience stands in the
// workspace's journey, so a campaign aimed at the decision stage whose audience is all in awareness is
// warned, and so is a decision-stage demo offer sent to awareness-stage contacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSchema } from '../../src/domain/campaign.js';
import { lintCampaignSpec } from '../../src/store/campaigns/lint-facts.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { setJourney } from '../../src/store/journey/journey-map.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-02-01T09:00:00Z');

describe.each(dialects)('stage-intent lint (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('warns when the audience is outside the targeted stage and a step offers later-stage content', async () => {
    const ws = await newWorkspace(store, T0);
    const contacts = new ContactsRepository(store);
    for (const n of ['a', 'b', 'c'])
      await contacts.create(ws, { email: `${n}@x.example`, lifecycle_stage: 'lead' }, T0);
    const spec = (targets: string, intent: string) =>
      campaignSchema.parse({
        id: 'demo-offer',
        name: 'Demo offer',
        objective: 'pipeline',
        goal: { metric: 'conversions', event: 'demo_booked', target: 2, lookback_days: 30 },
        window: { start: '2027-02-02T09:00', end: '2027-03-02T09:00', timezone: 'UTC' },
        audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
        channels: ['log'],
        stage: { targets },
        sequence: [{ id: 'offer', channel: 'log', delay: '0d', stage: { intent } }],
      });
    const codes = async (targets: string, intent: string) =>
      (await lintCampaignSpec(store, ws, spec(targets, intent), T0)).map((f) => f.code);

    // No journey map yet: the stage rules have nothing to read.
    expect(await codes('decision', 'decision')).not.toContain('audience_outside_stage');
    await setJourney(store, ws, { preset: 'default' }, T0);
    expect(await codes('decision', 'decision')).toContain('audience_outside_stage');
    const mismatch = await lintCampaignSpec(store, ws, spec('awareness', 'decision'), T0);
    expect(mismatch.find((f) => f.code === 'step_intent_mismatch')).toMatchObject({
      severity: 'warning',
      path: 'sequence.0.stage.intent',
    });
    expect(await codes('awareness', 'awareness')).not.toContain('audience_outside_stage');
    expect(await codes('awareness', 'awareness')).not.toContain('step_intent_mismatch');
  });
});
