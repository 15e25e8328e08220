// Deals from a CRM export, on both stores: a CSV with one bad row imports nothing and names the line and
// column; a good file stores account-level deal events a re-import does not repeat, and a pipeline goal's
// campaign counts an imported deal on an enrolled, touched account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { defaultChannels } from '../../src/channels/registry.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { Worker } from '../../src/engine/worker.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { ingestFixture } from '../ingest/ingest-support.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');

describe.each(dialects)('deals import (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('imports all or nothing, once, and counts an imported deal toward a pipeline goal', async () => {
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    const ws = fx.ws;
    const { key } = await new ApiKeysRepository(store).create(
      ws,
      { kind: 'api', scopes: ['read', 'write'] },
      T0,
    );
    const auth = { authorization: `Bearer ${key}` };
    const acme = await new AccountsRepository(store).create(ws, { domain: 'acme.example', name: 'Acme' }, T0);
    await new ContactsRepository(store).create(
      ws,
      { email: 'ana@acme.example', lifecycle_stage: 'lead', account_id: acme.id },
      T0,
    );
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'won-revenue',
          name: 'Won revenue',
          objective: 'pipeline',
          goal: { metric: 'revenue_won', event: 'Deal Won', target: 50_000, lookback_days: 60 },
          window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
          audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
          channels: ['log'],
          sequence: [{ id: 'one', channel: 'log', delay: '0d' }],
        },
      },
      T0,
    );
    await launchCampaign(store, ws, 'won-revenue', START, engineLaunchHooks);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'deals-test' });
    clock.set(START);
    await worker.tick();

    const post = (csv: string) =>
      fx.app.inject({ method: 'POST', url: '/api/v1/journey/deals/import', headers: auth, payload: { csv } });
    const bad = await post(
      'type,amount,occurred_at,account_domain,deal_id\nDeal Won,30000,2027-01-20,acme.example,D-1\nDeal Won,lots,2027-01-21,nowhere.example,D-2\n',
    );
    expect(bad.statusCode).toBe(422);
    const paths = bad.json().error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(['body.csv.line 3.amount', 'body.csv.line 3.account_id']);
    const deals = () =>
      store.db
        .selectFrom('events')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('type', '=', 'Deal Won')
        .execute();
    expect(await deals()).toHaveLength(0);

    const good =
      'type,amount,occurred_at,account_domain,deal_id\nDeal Won,30000,2027-01-20T10:00:00Z,acme.example,D-1\n';
    expect((await post(good)).json()).toEqual({ rows: 1, stored: 1, duplicates: 0 });
    expect((await post(good)).json()).toEqual({ rows: 1, stored: 0, duplicates: 1 });
    expect(await deals()).toHaveLength(1);

    clock.set(Date.parse('2027-01-21T09:00:00Z'));
    await processEvents(store, clock.now());
    const conversions = await store.db
      .selectFrom('conversions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({ arm: 'treatment' });
    expect(Number(conversions[0]!.value)).toBe(30_000);
    await store.db
      .updateTable('campaigns')
      .set({ status: 'cancelled' })
      .where('workspace_id', '=', ws)
      .execute();
    await fx.app.close();
  });
});
