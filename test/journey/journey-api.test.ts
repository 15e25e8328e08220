// The journey API on both stores: PUT /journey/stages refuses a bad map with the field's path and changes
// nothing, saves a good one (every contact placed); events sent through /v1/track move contacts; flows
// count the transitions; an account's timeline holds its touches, stage changes and deals; a deal's
// attribution answers per touch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { ingestFixture } from '../ingest/ingest-support.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-05-03T09:00:00Z');
const DAY = 86_400_000;

describe.each(dialects)('journey API (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('sets stages, follows events and answers flows, timelines and deal attribution', async () => {
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
    const contacts = new ContactsRepository(store);
    for (const u of ['ana', 'bo', 'cy'])
      await contacts.create(ws, { email: `${u}@acme.example`, external_id: u, account_id: acme.id }, T0);

    const before = await fx.app.inject({ method: 'GET', url: '/api/v1/journey/stages', headers: auth });
    expect(before.json()).toMatchObject({ enabled: false, preset: 'default' });

    const bad = await fx.app.inject({
      method: 'PUT',
      url: '/api/v1/journey/stages',
      headers: auth,
      payload: {
        stages: [
          { id: 'aware', name: 'Aware' },
          { id: 'keen', name: 'Keen', criteria: { attribute: 'nope', op: 'eq', value: 1 } },
        ],
      },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0].path).toBe('body.stages.1.criteria.attribute');
    expect(
      (await fx.app.inject({ method: 'GET', url: '/api/v1/journey/stages', headers: auth })).json().enabled,
    ).toBe(false);

    const put = await fx.app.inject({
      method: 'PUT',
      url: '/api/v1/journey/stages',
      headers: auth,
      payload: { preset: 'default' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ enabled: true, preset: 'default' });
    expect(put.json().stages.map((s: { id: string }) => s.id)).toEqual([
      'awareness',
      'consideration',
      'decision',
      'customer',
    ]);

    clock.set(T0 + DAY);
    const track = (userId: string, event: string, properties: Record<string, unknown> = {}) =>
      fx.app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { authorization: fx.basic, 'content-type': 'application/json' },
        payload: { userId, event, properties },
      });
    expect((await track('ana', 'pricing_page_viewed')).statusCode).toBe(200);
    expect((await track('bo', 'pricing_page_viewed')).statusCode).toBe(200);
    await processEvents(store, clock.now());
    clock.set(T0 + 3 * DAY);
    expect((await track('bo', 'Opportunity Created', { amount: 12_000, deal_id: 'D-9' })).statusCode).toBe(
      200,
    );
    await processEvents(store, clock.now());

    const flows = await fx.app.inject({
      method: 'GET',
      url: `/api/v1/journey/flows?from=2027-05-01&to=2027-05-31`,
      headers: auth,
    });
    expect(flows.statusCode).toBe(200);
    const f = flows.json();
    // By hand: three entered awareness, ana and bo moved on to consideration, bo then to decision.
    expect(f.transitions).toEqual([
      { from: null, to: 'awareness', count: 3 },
      { from: 'awareness', to: 'consideration', count: 2 },
      { from: 'consideration', to: 'decision', count: 1 },
    ]);
    expect(f.conversion[0]).toEqual({
      from: 'awareness',
      to: 'consideration',
      entered: 3,
      reached: 2,
      rate: 2 / 3,
    });
    expect(f.time_in_stage.find((t: { stage: string }) => t.stage === 'consideration')).toMatchObject({
      completed: 1,
      median_days: 2,
      current: 1,
    });

    const timeline = await fx.app.inject({
      method: 'GET',
      url: `/api/v1/journey/accounts/${acme.id}/timeline?from=2027-05-01&to=2027-05-31`,
      headers: auth,
    });
    expect(timeline.statusCode).toBe(200);
    const t = timeline.json();
    expect(t.stage).toBe('decision');
    const deal = t.items.find((i: { kind: string }) => i.kind === 'deal');
    expect(deal).toMatchObject({ type: 'Opportunity Created', amount: 12_000, dealId: 'D-9' });
    expect(
      t.items.filter(
        (i: { kind: string; subject?: string }) => i.kind === 'stage' && i.subject === 'account',
      ),
    ).toHaveLength(3);

    const attribution = await fx.app.inject({
      method: 'GET',
      url: `/api/v1/journey/deals/${deal.eventId}/attribution`,
      headers: auth,
    });
    expect(attribution.statusCode).toBe(200);
    // No campaign touched the account: the whole amount is unattributed.
    expect(attribution.json()).toMatchObject({
      touches: [],
      unattributed: 12_000,
      deal: { account_id: acme.id },
    });

    // Touches on two of the account's contacts show on its timeline; a touch not sent yet, a touch outside
    // the range and a touch on another account's contact do not.
    const ids = Object.fromEntries(
      (
        await store.db
          .selectFrom('contacts')
          .select(['id', 'external_id'])
          .where('workspace_id', '=', ws)
          .execute()
      ).map((c) => [c.external_id, c.id]),
    );
    const outsider = await contacts.create(ws, { email: 'di@else.example', external_id: 'di' }, T0);
    const cycles = new Map<string, number>();
    const touch = async (
      id: string,
      contact: string,
      status: string,
      sentAt: number | null,
      channel = 'email',
    ) => {
      await store.db
        .insertInto('enrollments')
        .values({
          id: `enr_${id}`,
          workspace_id: ws,
          campaign_id: 'abm-push',
          contact_id: contact,
          account_id: null,
          cycle: cycles.get(contact) ?? 0,
          arm: 'treatment',
          variants: '{}',
          state: 'active',
          exit_reason: null,
          enrolled_at: T0,
          exited_at: null,
        })
        .execute();
      await store.db
        .insertInto('touches')
        .values({
          id,
          workspace_id: ws,
          enrollment_id: `enr_${id}`,
          campaign_id: 'abm-push',
          contact_id: contact,
          step_id: channel === 'email' ? 'intro' : 'call',
          step_index: 0,
          channel,
          variant_id: null,
          priority: 50,
          status,
          due_at: sentAt ?? T0 + 20 * DAY,
          lease_until: null,
          claimed_by: null,
          attempts: sentAt === null ? 0 : 1,
          deferrals: 0,
          planned_at: T0,
          sent_at: sentAt,
          reason: null,
          message_id: null,
          details: '{}',
        })
        .execute();
      cycles.set(contact, (cycles.get(contact) ?? 0) + 1);
    };
    await touch(`tch_ana_${dialect}`, ids.ana!, 'sent', T0 + 4 * DAY);
    await touch(`tch_bo_${dialect}`, ids.bo!, 'sent', T0 + 5 * DAY, 'task');
    await touch(`tch_cy_${dialect}`, ids.cy!, 'pending', null);
    await touch(`tch_late_${dialect}`, ids.ana!, 'sent', Date.parse('2027-06-02T09:00:00Z'));
    await touch(`tch_di_${dialect}`, outsider.id, 'sent', T0 + 4 * DAY);
    const withTouches = (
      await fx.app.inject({
        method: 'GET',
        url: `/api/v1/journey/accounts/${acme.id}/timeline?from=2027-05-01&to=2027-05-31`,
        headers: auth,
      })
    ).json();
    expect(
      withTouches.items
        .filter((i: { kind: string }) => i.kind === 'touch')
        .map((i: Record<string, unknown>) => [i.id, i.contactId, i.campaignId, i.stepId, i.channel, i.at]),
    ).toEqual([
      [`tch_ana_${dialect}`, ids.ana, 'abm-push', 'intro', 'email', '2027-05-07T09:00:00.000Z'],
      [`tch_bo_${dialect}`, ids.bo, 'abm-push', 'call', 'task', '2027-05-08T09:00:00.000Z'],
    ]);

    const badRange = await fx.app.inject({
      method: 'GET',
      url: '/api/v1/journey/flows?from=yesterday',
      headers: auth,
    });
    expect(badRange.statusCode).toBe(422);
    expect(badRange.json().error.details.issues[0].path).toBe('querystring.from');
    const other = await fx.app.inject({
      method: 'GET',
      url: '/api/v1/journey/accounts/acc_nope/timeline',
      headers: auth,
    });
    expect(other.statusCode).toBe(404);
    const doc = await fx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/journey/stages',
        '/api/v1/journey/flows',
        '/api/v1/journey/accounts/{id}/timeline',
      ]),
    );
    await fx.app.close();
  });
});
