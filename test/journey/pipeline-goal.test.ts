// A campaign whose goal is pipeline created, on both stores: an `Opportunity Created` sent through the
// event API by a colleague who was never enrolled counts for the campaign at its account's amount, because
// a treated contact of that account had a campaign touch; a deal on an account the campaign never touched
// counts for nothing; the report sums the amounts as the goal's actual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { buildCampaignReport } from '../../src/store/report-data.js';
import { ingestFixture } from '../ingest/ingest-support.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');

describe.each(dialects)('pipeline goal (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('counts an opportunity on a touched target account at its amount', async () => {
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    const ws = fx.ws;
    const accounts = new AccountsRepository(store);
    const contacts = new ContactsRepository(store);
    const acme = await accounts.create(ws, { domain: 'acme.example', name: 'Acme', industry: 'SaaS' }, T0);
    const globex = await accounts.create(
      ws,
      { domain: 'globex.example', name: 'Globex', industry: 'Retail' },
      T0,
    );
    await contacts.create(
      ws,
      { email: 'ana@acme.example', external_id: 'ana', lifecycle_stage: 'lead', account_id: acme.id },
      T0,
    );
    // The buyer who opens the opportunity is not in the audience (a customer-stage champion).
    await contacts.create(
      ws,
      { email: 'cfo@acme.example', external_id: 'cfo', lifecycle_stage: 'opportunity', account_id: acme.id },
      T0,
    );
    await contacts.create(
      ws,
      {
        email: 'gil@globex.example',
        external_id: 'gil',
        lifecycle_stage: 'opportunity',
        account_id: globex.id,
      },
      T0,
    );
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'abm-pipeline',
          name: 'ABM pipeline',
          objective: 'pipeline',
          goal: {
            metric: 'pipeline_created',
            event: 'Opportunity Created',
            target: 100_000,
            lookback_days: 30,
          },
          window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
          audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
          channels: ['log'],
          sequence: [{ id: 'one', channel: 'log', delay: '0d' }],
        },
      },
      T0,
    );
    await launchCampaign(store, ws, 'abm-pipeline', START, engineLaunchHooks);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test', processEvents });
    clock.set(START);
    await worker.tick();
    const sent = await store.db
      .selectFrom('touches')
      .select(['id', 'status'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(sent).toEqual([expect.objectContaining({ status: 'sent' })]);

    clock.set(Date.parse('2027-01-12T10:00:00Z'));
    const track = (userId: string, amount: number, deal: string) =>
      fx.app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { authorization: fx.basic, 'content-type': 'application/json' },
        payload: { userId, event: 'Opportunity Created', properties: { amount, deal_id: deal } },
      });
    expect((await track('cfo', 42_000, 'D-1')).statusCode).toBe(200);
    expect((await track('gil', 90_000, 'D-2')).statusCode).toBe(200);
    await worker.tick();

    const conversions = await store.db
      .selectFrom('conversions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({ arm: 'treatment', touch_id: sent[0]!.id });
    expect(Number(conversions[0]!.value)).toBe(42_000);

    const report = await buildCampaignReport(store, ws, 'abm-pipeline', clock.now());
    expect(report.goal).toMatchObject({ available: true, metric: 'pipeline_created', actual: 42_000 });

    await store.db
      .updateTable('campaigns')
      .set({ status: 'cancelled' })
      .where('workspace_id', '=', ws)
      .execute();
    await fx.app.close();
  });
});
