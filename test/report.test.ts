// The campaign report over a campaign run by the engine: numbers counted by hand from the events the test writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../src/measure/report-text.js';
import { applyCampaign } from '../src/store/campaigns/index.js';
import { buildCampaignReport } from '../src/store/report-data.js';
import { reportCampaign, runReportCampaign, T0 } from './report-fixture.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

describe.each(dialects)('campaign report on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('reports goal, funnel, attribution, experiments, lift and cost from what the engine recorded', async () => {
    const ws = await newWorkspace(store, T0);
    const run = await runReportCampaign(store, ws);
    const T = run.treated.length;
    const H = run.held.length;
    expect(T + H).toBe(60);
    expect(H).toBeGreaterThan(0);

    const now = Date.parse('2027-01-05T13:00:00Z');
    const r = await buildCampaignReport(store, ws, reportCampaign.id, now);
    expect(r.campaign.plan).toBe('frozen');

    // Goal: two treated conversions of five.
    expect(r.goal).toMatchObject({
      available: true,
      actual: 2,
      target: 5,
      difference: -3,
      outcome: 'in_progress',
    });

    // Funnel, counted by hand: every treated contact got the intro; 4 delivered; opened = person (0) + click (2).
    expect(r.funnel.campaign.counts).toEqual({
      enrolled: T,
      touched: T,
      delivered: 4,
      opened: 2,
      clicked: 1,
      replied: 0,
      converted: 2,
      unsubscribed: 0,
      bounced: 0,
    });
    expect(r.funnel.campaign.rates.open_rate).toEqual({
      numerator: 2,
      denominator: 4,
      of: 'delivered',
      value: 0.5,
    });
    expect(r.funnel.campaign.rates.conversion_rate).toMatchObject({
      numerator: 2,
      denominator: T,
      of: 'enrolled',
    });
    // Treatment vs holdout under the funnel, by the lift's rule (the lift below counts the same 2 of T, 1 of H).
    expect(r.funnel.treatment).toMatchObject({ enrolled: T, converted: 2 });
    expect(r.funnel.holdout).toMatchObject({ enrolled: H, converted: 1 });
    const nudge = r.funnel.steps.find((s) => s.step === 'nudge')!;
    expect(nudge.counts.touched).toBe(0);
    expect(nudge.rates.open_rate.value).toBeNull();
    const variantA = r.funnel.variants.find((v) => v.variant === 'a')!;
    const variantB = r.funnel.variants.find((v) => v.variant === 'b')!;
    expect(variantA.counts.touched + variantB.counts.touched).toBe(T);
    const clickedIn = run.variantOf(2);
    expect(r.funnel.variants.find((v) => v.variant === clickedIn)!.counts.clicked).toBe(1);

    // Attribution: one channel and one step touched before each conversion: every model credits them all.
    if (!r.attribution.available) throw new Error(r.attribution.reason);
    expect(r.attribution.byChannel.channels).toEqual(['log']);
    expect(r.attribution.byChannel.models.map((m) => m.model)).toEqual([
      'first_touch',
      'last_touch',
      'linear',
      'time_decay',
      'position_based',
      'markov',
      'shapley',
    ]);
    for (const m of r.attribution.byChannel.models) {
      expect(m.credits[0]!.conversions).toBeCloseTo(2, 9);
      expect(m.credits[0]!.value).toBeCloseTo(100, 9);
    }
    expect(r.attribution.byStep.channels).toEqual(['intro']);

    // Experiments: the intro A/B on clicks, with its counts, still open while the campaign runs.
    expect(r.experiments).toHaveLength(1);
    const x = r.experiments[0]!;
    expect(x).toMatchObject({ step: 'intro', metric: 'clicked', control: 'a' });
    expect(x.arms.map((a) => a.n)).toEqual([variantA.counts.touched, variantB.counts.touched]);
    expect(x.recommendation).toBe('keep_testing');

    // Holdout lift over goal events after enrollment: 2 of T treated vs 1 of H held out.
    if (!r.lift.available) throw new Error(r.lift.reason);
    expect(r.lift.treatment).toEqual({ n: T, converted: 2, value: 100 });
    expect(r.lift.holdout).toEqual({ n: H, converted: 1, value: 0 });
    expect(r.lift.absoluteLift.estimate).toBeCloseTo(2 / T - 1 / H, 12);
    expect(r.lift.absoluteLift.interval.lower).toBeLessThan(r.lift.absoluteLift.estimate);

    // Cost: 600 spent for 2 results; the log channel's spend over its position-based credit (2).
    expect(r.cost).toMatchObject({
      available: true,
      spend: 600,
      results: 2,
      costPerResult: 300,
      basis: 'spend',
    });
    if (r.cost.available)
      expect(r.cost.byChannel).toEqual([{ channel: 'log', spend: 600, credited: 2, costPerResult: 300 }]);

    // Pacing: linear over the window, history from the conversions.
    expect(r.pacing).toMatchObject({ available: true, kind: 'window', actualToDate: 2, reference: null });

    const text = formatReport(r).join('\n');
    for (const section of [
      'Goal',
      'Pacing',
      'Funnel',
      'Attribution',
      'Experiments',
      'Holdout lift',
      'Learnings',
    ])
      expect(text).toContain(`\n${section}`);
    expect(text).toContain('2 of 5');
    expect(text).not.toContain('NaN');
    expect(JSON.stringify(r)).not.toContain('NaN');
  });

  it('after the window the goal is missed by the shortfall and the A/B test is decided', async () => {
    const ws = await newWorkspace(store, T0);
    const run = await runReportCampaign(store, ws);
    run.clock.set(Date.parse('2027-01-22T17:00:00Z'));
    await run.worker.tick();
    const r = await buildCampaignReport(store, ws, reportCampaign.id, Date.parse('2027-01-23T00:00:00Z'));
    expect(r.campaign.status).toBe('completed');
    expect(r.goal).toMatchObject({ outcome: 'missed', difference: -3 });
    expect(r.pacing).toMatchObject({ status: 'missed' });
    // One click among ~24 per arm cannot be conclusive: at the end the fallback (the control) goes.
    expect(r.experiments[0]).toMatchObject({ recommendation: 'inconclusive', winner: null });
    expect(r.experiments[0]!.decision?.chosenVariant).toBe('a');
  });

  it('a campaign without a holdout or goal says why instead of inventing numbers', async () => {
    const ws = await newWorkspace(store, T0);
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'bare',
          name: 'Bare',
          objective: 'custom',
          channels: ['log'],
          sequence: [{ id: 's', channel: 'log' }],
        },
      },
      T0,
    );
    const r = await buildCampaignReport(store, ws, 'bare', T0);
    expect(r.campaign.plan).toBe('spec');
    expect(r.goal).toMatchObject({ available: false });
    expect(r.lift).toMatchObject({ available: false });
    expect(r.attribution).toMatchObject({ available: false });
    expect(r.cost).toMatchObject({ available: false });
    expect(JSON.stringify(r)).not.toContain('NaN');
    await expect(buildCampaignReport(store, ws, 'missing', T0)).rejects.toMatchObject({ code: 'not_found' });
  });
});
