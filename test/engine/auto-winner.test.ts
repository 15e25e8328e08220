// Auto-winner steps through the engine on both stores and the simulated clock: only the test share gets a
// variant at once, the rest wait held; at `decide_after` from the step's first send the worker's tick decides
// with the sequential test and every held contact gets the winner (or the fallback when nothing is shown).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import type { CampaignInput } from '../../src/domain/campaign.js';
import { AWAITING_WINNER } from '../../src/engine/auto-winner.js';
import { closeCampaign, engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Worker } from '../../src/engine/worker.js';
import { formatReport, reportToJson } from '../../src/measure/report-text.js';
import { applyCampaign, endCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import { newId } from '../../src/store/ids.js';
import { buildCampaignReport } from '../../src/store/report-data.js';
import type { Store } from '../../src/store/db.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T08:00:00Z'); // a Monday, before the window opens at 09:00
const START = Date.parse('2027-01-04T09:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function addContacts(store: Store, ws: string, n: number): Promise<string[]> {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: newId('ct', T0),
      workspace_id: ws,
      email: `p${i}@example.org`,
      time_zone: 'UTC',
      lifecycle_stage: 'lead',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    });
  }
  for (let i = 0; i < rows.length; i += 200)
    await store.db
      .insertInto('contacts')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows.map((r) => r.id);
}

type TouchRow = {
  id: string;
  contact_id: string;
  variant_id: string | null;
  status: string;
  reason: string | null;
};

async function touchesOf(store: Store, ws: string, step: string): Promise<TouchRow[]> {
  return store.db
    .selectFrom('touches')
    .select(['id', 'contact_id', 'variant_id', 'status', 'reason'])
    .where('workspace_id', '=', ws)
    .where('step_id', '=', step)
    .orderBy('id')
    .execute();
}

/** Clicks (as the tracking redirect records them) on every `1/every`-th sent touch of a variant. */
async function click(
  store: Store,
  ws: string,
  campaign: string,
  touches: TouchRow[],
  every: number,
  at: number,
) {
  const rows = touches
    .filter((_, i) => i % every === 0)
    .map((t) => ({
      id: newId('evt', at),
      workspace_id: ws,
      message_id: `click:${t.id}:0`,
      type: 'clicked',
      contact_id: t.contact_id,
      account_id: null,
      anonymous_id: null,
      occurred_at: at,
      received_at: at,
      properties: '{}',
      campaign_id: campaign,
      touch_id: t.id,
      step_id: null,
      variant_id: t.variant_id,
      channel: 'log',
    }));
  for (let i = 0; i < rows.length; i += 200)
    await store.db
      .insertInto('events')
      .values(rows.slice(i, i + 200))
      .execute();
  return rows.length;
}

function spec(id: string, sequence: CampaignInput['sequence']): CampaignInput {
  return {
    id,
    name: `Auto-winner ${id}`,
    objective: 'launch',
    goal: { metric: 'conversions', event: 'demo_booked', target: 10, lookback_days: 14 },
    window: { start: '2027-01-04T09:00', end: '2027-01-29T17:00', timezone: 'UTC' },
    audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
    channels: ['log'],
    send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    sequence,
  };
}

describe.each(dialects)('auto-winner hold-back through the engine on %s', (dialect) => {
  // A database of its own: a worker tick in another test file on the shared database, at a later simulated
  // time, would decide these campaigns' tests (or send their held touches) on that file's clock.
  let own: OwnStore;
  let store: Store;
  beforeAll(async () => {
    own = await ownStore(dialect);
    store = own.store;
  });
  afterAll(() => own.dispose());

  it('tests on the share, holds the rest until decide_after, then sends everyone held the winner', async () => {
    const ws = await newWorkspace(store, T0);
    const N = 1000;
    const SHARE = 0.2;
    await addContacts(store, ws, N);
    await applyCampaign(
      store,
      ws,
      {
        spec: spec('subject-test', [
          {
            id: 'intro',
            channel: 'log',
            variants: [
              { id: 'a', subject: 'Your pipeline in one view' },
              { id: 'b', subject: 'See the analytics add-on' },
            ],
            test: { share: SHARE, decide_after: '1d', metric: 'clicked' },
          },
        ]),
      },
      T0,
    );
    await launchCampaign(store, ws, 'subject-test', T0, engineLaunchHooks);
    const clock = new SimulatedClock(START);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'auto-winner-test' });
    await worker.tick();

    const first = await touchesOf(store, ws, 'intro');
    expect(first).toHaveLength(N);
    const sent = first.filter((t) => t.status === 'sent');
    const held = first.filter((t) => t.status === 'held');
    // Each contact is in the test share independently with p = 0.2 (a SHA-256 draw), so the number sent is
    // Binomial(1000, 0.2): mean 200, sd √(1000·0.2·0.8) ≈ 12.6. ±4 sd (149..251) fails a correct
    // implementation with probability ≈ 6e-5, and catches a share ignored (1000 sent) or inverted (800).
    expect(sent.length).toBeGreaterThanOrEqual(149);
    expect(sent.length).toBeLessThanOrEqual(251);
    expect(held).toHaveLength(N - sent.length);
    expect(held.every((t) => t.variant_id === null && t.reason === AWAITING_WINNER)).toBe(true);
    expect(new Set(sent.map((t) => t.variant_id))).toEqual(new Set(['a', 'b']));
    const a = sent.filter((t) => t.variant_id === 'a');
    const b = sent.filter((t) => t.variant_id === 'b');
    // The variants split the share by weight (1:1): each Binomial(~200, 0.5), within ±4 sd (≈ 7.1) of half.
    expect(Math.abs(a.length - sent.length / 2)).toBeLessThanOrEqual(29);

    // b is clicked by half of its recipients, a by one in twenty-five.
    await click(store, ws, 'subject-test', b, 2, START + HOUR);
    await click(store, ws, 'subject-test', a, 25, START + HOUR);

    // One hour before the decision nothing held moves, whatever ticks run.
    clock.set(START + DAY - HOUR);
    const before = await worker.tick();
    expect(before.decided).toBe(0);
    const stillHeld = (await touchesOf(store, ws, 'intro')).filter((t) => t.status === 'held');
    expect(stillHeld).toHaveLength(held.length);
    expect(await worker.nextWakeAt(clock.now())).toBeLessThanOrEqual(START + DAY);

    clock.set(START + DAY);
    const at = await worker.tick();
    expect(at.decided).toBe(1);
    const decision = await store.db
      .selectFrom('auto_winner_decisions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(decision).toMatchObject({
      step_id: 'intro',
      variant_id: 'b',
      verdict: 'winner',
      decided_by: 'sequential_test',
      metric: 'clicked',
    });
    expect(Number(decision.released)).toBe(held.length);
    expect(Number(decision.first_send_at)).toBe(START);
    expect(Number(decision.decide_at)).toBe(START + DAY);

    const after = await touchesOf(store, ws, 'intro');
    const wasHeld = new Set(held.map((t) => t.id));
    const released = after.filter((t) => wasHeld.has(t.id));
    expect(released.every((t) => t.status === 'sent' && t.variant_id === 'b')).toBe(true);
    // The test share kept its own variants.
    const shareNow = new Map(after.map((t) => [t.id, t.variant_id]));
    expect(sent.every((t) => shareNow.get(t.id) === t.variant_id)).toBe(true);

    // The report shows the decision with the test share's counts (the released sends are not compared).
    const report = await buildCampaignReport(store, ws, 'subject-test', clock.now());
    const x = report.experiments.find((e) => e.step === 'intro')!;
    expect(x.autoWinner).toMatchObject({ variantId: 'b', verdict: 'winner', released: held.length });
    expect(x.arms.find((r) => r.variant === 'b')?.n).toBe(b.length);
    expect(x.arms.find((r) => r.variant === 'a')?.n).toBe(a.length);
    expect(x.winner).toBe('b');
    expect(formatReport(report).join('\n')).toContain(`auto-winner: decided 2027-01-05T09:00:00.000Z`);
    const json = reportToJson(report) as { experiments: Array<{ autoWinner: Record<string, unknown> }> };
    expect(json.experiments[0]!.autoWinner).toMatchObject({
      firstSendAt: '2027-01-04T09:00:00.000Z',
      decideAt: '2027-01-05T09:00:00.000Z',
      decidedAt: '2027-01-05T09:00:00.000Z',
    });
    await endCampaign(store, ws, 'subject-test', clock.now(), { onEnded: closeCampaign });
  });

  it('sends the fallback to the held contacts when the test is inconclusive (a later step)', async () => {
    const ws = await newWorkspace(store, T0);
    const N = 400;
    await addContacts(store, ws, N);
    await applyCampaign(
      store,
      ws,
      {
        spec: spec('no-difference', [
          { id: 'hello', channel: 'log', delay: '0d' },
          {
            id: 'pick',
            channel: 'log',
            delay: '1d',
            variants: [
              { id: 'a', subject: 'One' },
              { id: 'b', subject: 'Two' },
            ],
            test: { share: 0.5, decide_after: '2d', metric: 'clicked', fallback: 'b' },
          },
        ]),
      },
      T0,
    );
    await launchCampaign(store, ws, 'no-difference', T0, engineLaunchHooks);
    const clock = new SimulatedClock(START);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'auto-winner-test' });
    await worker.tick();
    clock.set(START + DAY);
    await worker.tick();
    const pick = await touchesOf(store, ws, 'pick');
    expect(pick).toHaveLength(N);
    const sent = pick.filter((t) => t.status === 'sent');
    const held = pick.filter((t) => t.status === 'held');
    // Binomial(400, 0.5): sd 10; ±4 sd.
    expect(Math.abs(sent.length - 200)).toBeLessThanOrEqual(40);
    expect(held).toHaveLength(N - sent.length);
    // The same click rate (one in ten) on both variants.
    for (const v of ['a', 'b'])
      await click(
        store,
        ws,
        'no-difference',
        sent.filter((t) => t.variant_id === v),
        10,
        START + DAY + HOUR,
      );

    clock.set(START + 3 * DAY - 1);
    expect((await worker.tick()).decided).toBe(0);
    expect((await touchesOf(store, ws, 'pick')).filter((t) => t.status === 'held')).toHaveLength(held.length);
    clock.set(START + 3 * DAY);
    expect((await worker.tick()).decided).toBe(1);
    const decision = await store.db
      .selectFrom('auto_winner_decisions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ variant_id: 'b', verdict: 'inconclusive', decided_by: 'fallback' });
    expect(decision.reason).toContain('not conclusive');
    const wasHeld = new Set(held.map((t) => t.id));
    const after = (await touchesOf(store, ws, 'pick')).filter((t) => wasHeld.has(t.id));
    expect(after.every((t) => t.status === 'sent' && t.variant_id === 'b')).toBe(true);
    await endCampaign(store, ws, 'no-difference', clock.now(), { onEnded: closeCampaign });
  });
});
