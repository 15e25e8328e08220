// Account-level deal attribution on both stores: an opportunity on an account is credited across the sent
// touches on two of its contacts inside the lookback, W-shaped milestones found from the account's events;
// touches on another account, outside the window or after the opportunity take no W-shaped credit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAL_WON, OPPORTUNITY_CREATED } from '../../src/domain/journey.js';
import type { Store } from '../../src/store/db.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { newId } from '../../src/store/ids.js';
import { getJourney, setJourney } from '../../src/store/journey/journey-map.repository.js';
import { attributeDeal } from '../../src/store/journey/pipeline.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-04-05T10:00:00Z');
const DAY = 86_400_000;

async function sentTouch(
  store: Store,
  ws: string,
  contactId: string,
  at: number,
  campaignId: string,
  step: string,
) {
  const id = newId('tch', at);
  await store.db
    .insertInto('touches')
    .values({
      id,
      workspace_id: ws,
      enrollment_id: newId('enr', at),
      campaign_id: campaignId,
      contact_id: contactId,
      step_id: step,
      step_index: 0,
      channel: 'email',
      variant_id: null,
      priority: 50,
      status: 'sent',
      due_at: at,
      planned_at: at - DAY,
      sent_at: at,
      attempts: 1,
      deferrals: 0,
      details: '{}',
    })
    .execute();
  return id;
}

async function event(store: Store, ws: string, type: string, contactId: string, at: number, properties = {}) {
  await appendEvents(store.db, [
    {
      workspaceId: ws,
      type,
      occurredAt: at,
      receivedAt: at,
      contactId,
      messageId: `${ws}:${type}:${at}`,
      properties,
    },
  ]);
  const row = await store.db
    .selectFrom('events')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('message_id', '=', `${ws}:${type}:${at}`)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe.each(dialects)('pipeline attribution (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('credits a deal across touches on two contacts of its account, W-shaped at the three milestones', async () => {
    const ws = await newWorkspace(store, T0);
    const accounts = new AccountsRepository(store);
    const acme = await accounts.create(ws, { domain: 'acme.example', name: 'Acme' }, T0);
    const other = await accounts.create(ws, { domain: 'other.example', name: 'Other' }, T0);
    const contacts = new ContactsRepository(store);
    const ana = await contacts.create(ws, { email: 'ana@acme.example', account_id: acme.id }, T0);
    const bo = await contacts.create(ws, { email: 'bo@acme.example', account_id: acme.id }, T0);
    const zed = await contacts.create(ws, { email: 'zed@other.example', account_id: other.id }, T0);
    await setJourney(
      store,
      ws,
      {
        preset: 'default',
        milestones: {
          lead_creation: { event: 'Lead Created' },
          opportunity_creation: { event: OPPORTUNITY_CREATED },
        },
        deal_lookback_days: 90,
      },
      T0,
    );
    const map = (await getJourney(store, ws)).journey.map;

    const old = await sentTouch(store, ws, ana.id, T0 - 100 * DAY, 'fall-nurture', 'intro');
    const t1 = await sentTouch(store, ws, ana.id, T0, 'launch', 'intro');
    const t2 = await sentTouch(store, ws, bo.id, T0 + 2 * DAY, 'launch', 'intro');
    const t3 = await sentTouch(store, ws, ana.id, T0 + 4 * DAY, 'launch', 'followup');
    await event(store, ws, 'Lead Created', bo.id, T0 + 4 * DAY + 3_600_000);
    const t4 = await sentTouch(store, ws, bo.id, T0 + 6 * DAY, 'abm', 'call');
    const t5 = await sentTouch(store, ws, bo.id, T0 + 8 * DAY, 'abm', 'followup');
    await sentTouch(store, ws, zed.id, T0 + 8 * DAY, 'abm', 'followup');
    const opp = await event(store, ws, OPPORTUNITY_CREATED, bo.id, T0 + 8 * DAY + 3_600_000, {
      amount: 50_000,
      deal_id: 'D-1',
    });
    const t6 = await sentTouch(store, ws, ana.id, T0 + 9 * DAY, 'launch', 'last');
    const won = await event(store, ws, DEAL_WON, ana.id, T0 + 20 * DAY, { amount: '60000', deal_id: 'D-1' });

    const a = await attributeDeal(store, ws, opp, map);
    expect(a.deal).toMatchObject({ accountId: acme.id, amount: 50_000, dealId: 'D-1' });
    // Touches of both contacts of the account, none of the other account's, none before the 90-day window.
    const ids = a.credit.touches.map((t) => t.touchId);
    expect(ids).toEqual([t1, t2, t3, t4, t5]);
    expect(ids).not.toContain(old);
    expect(new Set(a.credit.touches.map((t) => t.contactId))).toEqual(new Set([ana.id, bo.id]));
    // W-shaped (Adobe Experience League, "Marketo Measure Attribution Models", W-Shaped Model: FT, LC and OC
    // 30% each, 10% to the touches between them), by hand: 15,000 to t1 (first touch), t3 (last touch
    // before the lead was created) and t5 (closest before the opportunity); 5,000 split over t2 and t4.
    const w = Object.fromEntries(a.credit.touches.map((t) => [t.touchId, t.credit.w_shaped]));
    expect(w[t1]).toBeCloseTo(15_000, 6);
    expect(w[t2]).toBeCloseTo(2_500, 6);
    expect(w[t3]).toBeCloseTo(15_000, 6);
    expect(w[t4]).toBeCloseTo(2_500, 6);
    expect(w[t5]).toBeCloseTo(15_000, 6);
    expect(a.credit.touches.map((t) => t.roles)).toEqual([
      ['first_touch'],
      ['intermediate'],
      ['lead_creation'],
      ['intermediate'],
      ['opportunity_creation'],
    ]);
    // Linear by definition: 50,000 / 5 each; per campaign: launch t1+t2+t3, abm t4+t5.
    for (const t of a.credit.touches) expect(t.credit.linear).toBeCloseTo(10_000, 6);
    const byCampaign = Object.fromEntries(a.credit.byCampaign.map((c) => [c.campaignId, c.credit.w_shaped]));
    expect(byCampaign.launch).toBeCloseTo(32_500, 6);
    expect(byCampaign.abm).toBeCloseTo(17_500, 6);

    // The won deal (amount as text) looks back from its own time: t6 came after the opportunity, so it is
    // outside the W, while last touch gives it everything.
    const b = await attributeDeal(store, ws, won, map);
    expect(b.deal.amount).toBe(60_000);
    expect(b.milestones.opportunityAt).toBe(T0 + 8 * DAY + 3_600_000);
    const last = b.credit.touches.at(-1)!;
    expect(last.touchId).toBe(t6);
    expect(last.roles).toEqual(['after']);
    expect(last.credit.w_shaped).toBe(0);
    expect(last.credit.last_touch).toBe(60_000);
    expect(b.credit.touches.reduce((s, t) => s + t.credit.w_shaped, 0)).toBeCloseTo(60_000, 6);
  });

  it('refuses an event that is not a deal, naming it', async () => {
    const ws = await newWorkspace(store, T0);
    const c = await new ContactsRepository(store).create(ws, { email: 'x@y.example' }, T0);
    const id = await event(store, ws, 'page', c.id, T0);
    await expect(
      attributeDeal(store, ws, id, (await getJourney(store, ws)).journey.map),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
