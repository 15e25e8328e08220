import { describe, expect, it } from 'vitest';
import { campaignSchema, type CampaignSpec } from '../domain/campaign.js';
import type { FunnelTouch } from './funnel.js';
import { buildReport, type ReportInput } from './report.js';
import { formatReport, reportToJson } from './report-text.js';

const DAY = 86_400_000;
const JAN1 = Date.parse('2027-01-01T00:00:00Z');
const day = (d: number) => JAN1 + d * DAY;

const baseSpec = {
  id: 'spring',
  name: 'Spring',
  objective: 'pipeline',
  goal: { metric: 'conversions', event: 'demo_booked', target: 4, lookback_days: 7 },
  measurement: { holdout_percent: 20 },
  window: { start: '2027-01-01T00:00', end: '2027-01-11T00:00', timezone: 'UTC' },
  channels: ['email'],
  sequence: [
    { id: 'intro', channel: 'email' },
    { id: 'followup', channel: 'email', delay: '1d' },
  ],
};

const spec = (over: Record<string, unknown> = {}): CampaignSpec =>
  campaignSchema.parse({ ...baseSpec, ...over });
const sent = (id: string, contactId: string, stepId: string, at: number): FunnelTouch => ({
  id,
  contactId,
  stepId,
  channel: 'email',
  variantId: null,
  status: 'sent',
  sentAt: at,
});

/**
 * Hand-countable campaign: treated c1–c4, held out h1 h2; intro sent to all four on day 1, followup to c1 on
 * day 1.5. Conversions: c1 day 2 (50), c2 day 3 (30), c1 day 4 (20). Frozen target 4; the spec was edited to
 * 100 after launch, which the report must ignore.
 */
function input(over: Partial<ReportInput> = {}, specOver: Record<string, unknown> = {}): ReportInput {
  const s = spec(specOver);
  return {
    campaign: {
      id: s.id,
      name: s.name,
      kind: s.kind,
      status: 'running',
      spec: { ...s, goal: s.goal && { ...s.goal, target: 100 } },
      frozenPlan: {
        goal: s.goal ?? null,
        measurement: s.measurement ?? null,
        window: s.window ?? null,
        audience: null,
      },
      frozenHash: 'abc',
      launchedAt: JAN1,
      endedAt: null,
    },
    enrollments: ['c1', 'c2', 'c3', 'c4', 'h1', 'h2'].map((id) => ({
      contactId: id,
      accountId: null,
      arm: id.startsWith('h') ? 'holdout' : 'treatment',
      enrolledAt: JAN1,
    })),
    touches: [
      sent('t1', 'c1', 'intro', day(1)),
      sent('t2', 'c2', 'intro', day(1)),
      sent('t3', 'c3', 'intro', day(1)),
      sent('t4', 'c4', 'intro', day(1)),
      sent('t5', 'c1', 'followup', day(1.5)),
    ],
    events: [],
    conversions: [
      { contactId: 'c1', arm: 'treatment', occurredAt: day(2), value: 50 },
      { contactId: 'c2', arm: 'treatment', occurredAt: day(3), value: 30 },
      { contactId: 'c1', arm: 'treatment', occurredAt: day(4), value: 20 },
    ],
    goalEvents: [
      { contactId: 'c1', occurredAt: day(2), value: 50 },
      { contactId: 'c2', occurredAt: day(3), value: 30 },
      { contactId: 'c1', occurredAt: day(4), value: 20 },
      { contactId: 'h1', occurredAt: day(3), value: 10 },
      // Before enrollment: not a conversion of the campaign's audience.
      { contactId: 'h2', occurredAt: JAN1 - DAY, value: 10 },
    ],
    now: day(5),
    ...over,
  };
}

describe('buildReport', () => {
  it('judges the goal against the frozen target, for every goal metric', () => {
    const r = buildReport(input());
    expect(r.campaign.plan).toBe('frozen');
    expect(r.goal).toMatchObject({ actual: 3, target: 4, difference: -1, outcome: 'in_progress' });
    const unique = buildReport(input({}, { goal: { ...baseSpec.goal, metric: 'unique_converters' } }));
    expect(unique.goal).toMatchObject({ actual: 2, target: 4 });
    const value = buildReport(input({}, { goal: { ...baseSpec.goal, metric: 'value', target: 80 } }));
    expect(value.goal).toMatchObject({ actual: 100, target: 80, difference: 20, outcome: 'met' });
    // A rate target of 50 reads as 50%: 2 converters of 4 treated meet it.
    const rateGoal = buildReport(input({}, { goal: { ...baseSpec.goal, metric: 'rate', target: 50 } }));
    expect(rateGoal.goal).toMatchObject({ actual: 0.5, target: 0.5, outcome: 'met' });
    expect(rateGoal.pacing).toMatchObject({ available: false });
    const over = buildReport(input({ now: day(12), campaign: { ...input().campaign, endedAt: day(10) } }));
    expect(over.goal).toMatchObject({ outcome: 'missed', difference: -1 });
  });

  it('paces linearly over the frozen window, with the history of the series', () => {
    const r = buildReport(input());
    if (!r.pacing.available || r.pacing.kind !== 'window') throw new Error('expected window pacing');
    // Day 5 of a 10-day window: half of the target (2) expected, 3 in.
    expect(r.pacing.elapsedFraction).toBe(0.5);
    expect(r.pacing.expectedToDate).toBe(2);
    expect(r.pacing.actualToDate).toBe(3);
    expect(r.pacing.history.map((h) => [h.at, h.actual])).toEqual([
      [day(2), 1],
      [day(3), 2],
      [day(4), 3],
    ]);
  });

  it('paces an always-on program per calendar month', () => {
    const r = buildReport(
      input(
        {
          now: Date.parse('2027-02-14T00:00:00Z'),
          conversions: [
            { contactId: 'c1', arm: 'treatment', occurredAt: Date.parse('2027-01-10T00:00:00Z'), value: 0 },
            { contactId: 'c2', arm: 'treatment', occurredAt: Date.parse('2027-01-20T00:00:00Z'), value: 0 },
            { contactId: 'c3', arm: 'treatment', occurredAt: Date.parse('2027-02-05T00:00:00Z'), value: 0 },
          ],
        },
        {
          kind: 'always-on',
          goal: { ...baseSpec.goal, target: 2 },
          window: { start: '2027-01-01T00:00', timezone: 'UTC' },
        },
      ),
    );
    if (!r.pacing.available || r.pacing.kind !== 'monthly') throw new Error('expected monthly pacing');
    // The goal of an always-on program is the current month's result against the monthly target.
    expect(r.goal).toMatchObject({ period: '2027-02', actual: 1, target: 2, outcome: 'in_progress' });
    expect(r.pacing.months.map((m) => [m.period, m.actualToDate, m.status])).toEqual([
      ['2027-01', 2, 'met'],
      ['2027-02', 1, expect.any(String)],
    ]);
  });

  it('attributes by channel and by step under every model', () => {
    const r = buildReport(input());
    if (!r.attribution.available) throw new Error(r.attribution.reason);
    // Journeys (7-day lookback): c1 → [intro, followup] converts day 2; c2 → [intro] day 3; c1 → [] day 4
    // (its touches went to the first conversion), so 2 conversions are credited and 1 is unattributed.
    expect(r.attribution.unattributed).toEqual({ conversions: 1, value: 20 });
    const credit = (model: string, step: string) =>
      r.attribution.available &&
      r.attribution.byStep.models.find((m) => m.model === model)!.credits.find((c) => c.channel === step)!
        .conversions;
    expect(credit('first_touch', 'intro')).toBe(2);
    expect(credit('first_touch', 'followup')).toBe(0);
    expect(credit('last_touch', 'intro')).toBe(1);
    expect(credit('last_touch', 'followup')).toBe(1);
    expect(credit('linear', 'intro')).toBe(1.5);
    expect(r.attribution.byChannel.channels).toEqual(['email']);
  });

  it('compares treatment with holdout on goal events after enrollment', () => {
    const r = buildReport(input());
    if (!r.lift.available) throw new Error(r.lift.reason);
    expect(r.lift.treatment).toEqual({ n: 4, converted: 2, value: 100 });
    expect(r.lift.holdout).toEqual({ n: 2, converted: 1, value: 10 });
    expect(r.lift.absoluteLift.estimate).toBe(0);
    // 2/4 vs 1/2: both 50%, so the difference of the rates is 0 percentage points (not "0%" of anything).
    expect(formatReport(r).join('\n')).toContain('absolute lift 0.00 pp [');
    const noHoldout = buildReport(
      input({ enrollments: input().enrollments.filter((e) => e.arm === 'treatment') }),
    );
    expect(noHoldout.lift).toMatchObject({ available: false });
    expect(noHoldout.lift.available === false && noHoldout.lift.reason).toMatch(/holdout/);
  });

  it("compares the funnel's treatment and holdout by the lift's rule, not by touch-attributed conversions", () => {
    // Treated c1–c5 (c5 never sent a touch), held out h1–h3, all enrolled on day 0; the goal's lookback is 7 days.
    // Goal events: c1 days 2 and 4, c2 day 3 (within 7 days of the day-1 intro: the engine recorded them);
    // c3 day 9.5 and c4 day 9 (8.5 and 8 days after their last touch: outside the lookback, so the engine recorded
    // no conversion); h1 day 3 and h2 day 9 (holdout: recorded with no touch condition); h3 none.
    // By hand, at day 10 (the window's end; until = min(now, now + lookback) = day 10):
    //   intention to treat: treatment 4/5 (c1 c2 c3 c4) = 80%, holdout 2/3 (h1 h2) = 66.67%;
    //   touch-attributed (the funnel's campaign row): 2/5 (c1 c2) = 40%, which beside 66.67% would read as the
    //   campaign cutting conversion.
    const base = input();
    const enrollments = ['c1', 'c2', 'c3', 'c4', 'c5', 'h1', 'h2', 'h3'].map((id) => ({
      contactId: id,
      accountId: null,
      arm: id.startsWith('h') ? 'holdout' : 'treatment',
      enrolledAt: JAN1,
    }));
    const r = buildReport(
      input({
        enrollments,
        conversions: [
          ...base.conversions,
          { contactId: 'h1', arm: 'holdout', occurredAt: day(3), value: 10 },
          { contactId: 'h2', arm: 'holdout', occurredAt: day(9), value: 10 },
        ],
        goalEvents: [
          { contactId: 'c1', occurredAt: day(2), value: 50 },
          { contactId: 'c2', occurredAt: day(3), value: 30 },
          { contactId: 'c1', occurredAt: day(4), value: 20 },
          { contactId: 'c3', occurredAt: day(9.5), value: 40 },
          { contactId: 'c4', occurredAt: day(9), value: 0 },
          { contactId: 'h1', occurredAt: day(3), value: 10 },
          { contactId: 'h2', occurredAt: day(9), value: 10 },
        ],
        now: day(10),
      }),
    );
    if (!r.lift.available) throw new Error(r.lift.reason);
    expect(r.lift.treatment).toMatchObject({ n: 5, converted: 4 });
    expect(r.lift.holdout).toMatchObject({ n: 3, converted: 2 });
    expect(r.lift.treatmentRate).toBeCloseTo(0.8, 12);
    expect(r.lift.holdoutRate).toBeCloseTo(2 / 3, 12);

    // The funnel's arms line equals the lift's, for both arms.
    expect(r.funnel.treatment).toEqual({
      enrolled: 5,
      converted: 4,
      conversionRate: { numerator: 4, denominator: 5, of: 'enrolled', value: 0.8 },
    });
    expect(r.funnel.holdout).toEqual({
      enrolled: 3,
      converted: 2,
      conversionRate: { numerator: 2, denominator: 3, of: 'enrolled', value: 2 / 3 },
    });
    expect(r.funnel.treatment.conversionRate.value).toBe(r.lift.treatmentRate);
    expect(r.funnel.holdout.conversionRate.value).toBe(r.lift.holdoutRate);
    expect(r.funnel.comparisonBasis).toBe(r.lift.basis);

    // The campaign row and the steps keep the touch-attributed count: c1 and c2 only.
    expect(r.funnel.campaign.counts.converted).toBe(2);
    expect(r.funnel.campaign.rates.conversion_rate).toMatchObject({ numerator: 2, denominator: 5 });
    expect(r.funnel.steps.find((st) => st.step === 'intro')!.counts.converted).toBe(2);

    // Labelled as the intention-to-treat line in the text and in the JSON.
    const text = formatReport(r).join('\n');
    expect(text).toContain(
      'enrolled (treatment) converted 80.00% (4/5 enrolled) vs holdout converted 66.67% (2/3 enrolled); contacts with a demo_booked event after enrollment, both arms alike, intention to treat',
    );
    expect(text).toContain('treatment 80.00% (4/5) vs holdout 66.67% (2/3)');
    const json = reportToJson(r) as { funnel: Record<string, unknown> };
    expect(json.funnel.treatment).toMatchObject({ enrolled: 5, converted: 4 });
    expect(json.funnel.holdout).toMatchObject({ enrolled: 3, converted: 2 });
  });

  it('gives the cost per result from spend, and per channel under the headline model', () => {
    const r = buildReport(
      input({}, { budget: { amount: 1000, currency: 'USD', spend: { email: 300, ads: 100 } } }),
    );
    expect(r.cost).toMatchObject({ available: true, spend: 400, results: 3, basis: 'spend', budget: 1000 });
    if (!r.cost.available) throw new Error('expected a cost');
    expect(r.cost.costPerResult).toBeCloseTo(400 / 3, 12);
    // Position-based credits email with both attributed conversions; ads were never touched.
    expect(r.cost.byChannel).toEqual([
      { channel: 'email', spend: 300, credited: 2, costPerResult: 150 },
      { channel: 'ads', spend: 100, credited: 0, costPerResult: null },
    ]);
    const none = buildReport(input({ conversions: [] }, { budget: { amount: 500, currency: 'EUR' } }));
    expect(none.cost).toMatchObject({ basis: 'budget', results: 0, costPerResult: null });
  });

  it('takes recorded spend over the spec, with or without a budget, by channel and by month', () => {
    const recorded = [
      { amount: 250, currency: 'USD', date: '2027-01-02', channel: 'email' },
      { amount: 50, currency: 'USD', date: '2027-01-03', channel: null },
    ];
    // Recorded spend replaces the hand-kept budget.spend (which would say 400).
    const withBudget = buildReport({
      ...input({}, { budget: { amount: 1000, currency: 'USD', spend: { email: 300, ads: 100 } } }),
      spend: recorded,
    });
    expect(withBudget.cost).toMatchObject({
      available: true,
      spend: 300,
      results: 3,
      basis: 'spend',
      budget: 1000,
    });
    if (!withBudget.cost.available) throw new Error('expected a cost');
    expect(withBudget.cost.costPerResult).toBeCloseTo(100, 12);
    // Spend without a channel counts in the total but is credited to no channel.
    expect(withBudget.cost.byChannel).toEqual([
      { channel: 'email', spend: 250, credited: 2, costPerResult: 125 },
    ]);
    const noBudget = buildReport({ ...input(), spend: recorded });
    expect(noBudget.cost).toMatchObject({
      available: true,
      currency: 'USD',
      budget: null,
      spend: 300,
      basis: 'spend',
    });
    expect(formatReport(noBudget).join('\n')).toContain('(budget none)');
    expect(buildReport(input()).cost).toMatchObject({ available: false });
  });

  it('explains an A/B step it cannot judge instead of guessing', () => {
    const ab = {
      sequence: [
        {
          id: 'intro',
          channel: 'email',
          variants: [
            { id: 'a', subject: 'A' },
            { id: 'b', subject: 'B' },
          ],
        },
      ],
    };
    const r = buildReport(input({ touches: [{ ...sent('t1', 'c1', 'intro', day(1)), variantId: 'b' }] }, ab));
    expect(r.experiments).toHaveLength(1);
    expect(r.experiments[0]).toMatchObject({
      step: 'intro',
      control: 'a',
      recommendation: null,
      winner: null,
    });
    expect(r.experiments[0]!.reason).toMatch(/control variant a/);
    expect(r.experiments[0]!.arms.map((a) => [a.variant, a.n])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
  });

  it('calls a tiny test inconclusive once over and prints its difference in points', () => {
    // intro's variant a went to c1, c2 and c3, of whom c1 and c2 converted after it (days 2 and 3); b to c4,
    // who did not: 2/3 = 66.67% vs 0/1 = 0%, a difference of −66.67 percentage points. Four contacts cannot
    // show a difference or its absence, so after the window the fallback (a) goes as "inconclusive".
    const ab = {
      sequence: [{ id: 'intro', channel: 'email', variants: [{ id: 'a' }, { id: 'b' }] }],
      measurement: {
        holdout_percent: 20,
        experiments: [{ id: 'subject', step: 'intro', metric: 'converted' }],
      },
    };
    const touches = ['c1', 'c2', 'c3', 'c4'].map((c, i) => ({
      ...sent(`t${i}`, c, 'intro', day(1)),
      variantId: i < 3 ? 'a' : 'b',
    }));
    const r = buildReport(input({ touches, now: day(12) }, ab));
    expect(r.experiments[0]).toMatchObject({ recommendation: 'inconclusive', winner: null });
    expect(r.experiments[0]!.decision?.chosenVariant).toBe('a');
    const text = formatReport(r).join('\n');
    expect(text).toContain('diff -66.67 pp [');
    expect(text).toContain('no difference found (inconclusive: not evidence of none)');
    expect(text).not.toMatch(/diff -66\.67%/);
  });

  it('prints every section and writes JSON without NaN or Infinity', () => {
    const r = buildReport(input({ now: JAN1 }));
    const text = formatReport(r).join('\n');
    for (const s of [
      'Goal',
      'Pacing',
      'Funnel',
      'Attribution',
      'Experiments',
      'Holdout lift',
      'Cost',
      'Learnings',
    ])
      expect(text).toMatch(new RegExp(`^${s}`, 'm'));
    const json = JSON.stringify(reportToJson(r));
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(reportToJson(r).asOf).toBe('2027-01-01T00:00:00.000Z');
  });
});
