// The campaign report: goal against the frozen plan, pacing, funnel, attribution under every model, experiments
// with a recommendation, holdout lift and cost per result, assembled from the existing pure statistics.
import { DateTime } from 'luxon';
import type { CampaignSpec } from '../domain/campaign.js';
import {
  attribute,
  journeysFromEvents,
  toPathSet,
  type AttributionReport,
  type TimedTouch,
} from './attribution/index.js';
import {
  computeFunnel,
  rate,
  type FunnelEnrollment,
  type FunnelEvent,
  type FunnelTouch,
  type Rate,
  type ReportFunnel,
} from './funnel.js';
import {
  armConversions,
  errorReason,
  funnelArms,
  experimentSections,
  liftSection,
  unavailable,
  type AutoWinnerRecord,
  type ExperimentSection,
  type LiftSection,
} from './report-sections.js';
import {
  alwaysOnPacing,
  goalPacing,
  referenceCurveFromSeries,
  type CurvePoint,
  type PacingMeasure,
  type PacingPoint,
  type PacingResult,
  type PeriodPacing,
} from './pacing.js';

const DAY = 86_400_000;

/** Goal, measurement, window and audience as frozen at launch (the store's FrozenPlan). */
export interface ReportPlan {
  goal: CampaignSpec['goal'] | null;
  measurement: CampaignSpec['measurement'] | null;
  window: CampaignSpec['window'] | null;
  audience: CampaignSpec['audience'] | null;
}

export interface ReportCampaign {
  id: string;
  name: string;
  kind: CampaignSpec['kind'];
  status: string;
  spec: CampaignSpec;
  frozenPlan: ReportPlan | null;
  frozenHash: string | null;
  launchedAt: number | null;
  endedAt: number | null;
}

export interface ReportConversion {
  contactId: string;
  arm: string;
  occurredAt: number;
  value: number;
}

/** A goal event of an enrolled contact (either arm), for the holdout comparison. */
export interface GoalEvent {
  contactId: string;
  occurredAt: number;
  value: number;
}

export interface ReportInput {
  campaign: ReportCampaign;
  enrollments: ReadonlyArray<FunnelEnrollment & { enrolledAt: number }>;
  touches: readonly FunnelTouch[];
  events: readonly FunnelEvent[];
  /** The campaign's goal conversions (the engine's record: treatment conversions follow a campaign touch). */
  conversions: readonly ReportConversion[];
  goalEvents: readonly GoalEvent[];
  /** The reference campaign named by the plan: its cumulative series and window. */
  reference?: { id: string; series: PacingPoint[]; windowStart: number; windowEnd: number } | null;
  review?: { learnings: string; author: string | null; updatedAt: number } | null;
  /** Spend recorded against the campaign (`POST …/spend`); when any, it replaces the spec's `budget.spend`. */
  spend?: ReadonlyArray<{ amount: number; currency: string; date: string; channel: string | null }>;
  /** Recorded auto-winner decisions of the campaign's test steps. */
  autoWinners?: readonly AutoWinnerRecord[];
  now: number;
}

/** A part of the report that could not be computed says why instead of showing made-up numbers. */
export interface Unavailable {
  available: false;
  reason: string;
}

export interface GoalSection {
  available: true;
  metric: NonNullable<CampaignSpec['goal']>['metric'];
  event: string;
  target: number;
  actual: number;
  /** actual − target (negative: short of the target). */
  difference: number;
  shareOfTarget: number;
  /** met, missed (the window is over), or in progress. */
  outcome: 'met' | 'missed' | 'in_progress';
  lookbackDays: number;
  /** rate goals: converters over the treated enrolled. */
  rate: Rate | null;
  /** Always-on programs are judged on the current calendar month (`YYYY-MM`); null for campaigns. */
  period: string | null;
}

export type PacingSection =
  | ({ available: true; kind: 'window'; reference: string | null } & PacingResult)
  | { available: true; kind: 'monthly'; months: PeriodPacing[] }
  | Unavailable;

export interface AttributionSection {
  available: true;
  /** The goal's headline model; every model is shown. */
  headline: string;
  lookbackDays: number;
  byChannel: AttributionReport;
  byStep: AttributionReport;
  /** Conversions with no campaign touch in their lookback: nobody gets credit. */
  unattributed: { conversions: number; value: number };
}

export interface CostSection {
  available: true;
  currency: string;
  /** null: no budget, only recorded spend. */
  budget: number | null;
  spend: number | null;
  results: number;
  /** spend (or the budget when no spend is recorded) per result; null with the reason when nothing converted. */
  costPerResult: number | null;
  basis: 'spend' | 'budget';
  reason?: string;
  byChannel: Array<{ channel: string; spend: number; credited: number; costPerResult: number | null }>;
}

export type { AutoWinnerRecord, ExperimentArm, ExperimentSection, LiftSection } from './report-sections.js';

export interface CampaignReport {
  campaign: {
    id: string;
    name: string;
    kind: string;
    status: string;
    launchedAt: number | null;
    endedAt: number | null;
    frozenHash: string | null;
    /** `frozen`: judged against the plan frozen at launch; `spec`: not launched, the current spec. */
    plan: 'frozen' | 'spec';
  };
  asOf: number;
  goal: GoalSection | Unavailable;
  pacing: PacingSection;
  funnel: ReportFunnel;
  attribution: AttributionSection | Unavailable;
  experiments: ExperimentSection[];
  lift: LiftSection;
  cost: CostSection | Unavailable;
  learnings: { text: string; author: string | null; updatedAt: number } | null;
}

/** Cumulative goal progress from the treated arm's conversions (count, first per contact, or value/amount). */
export function goalSeries(
  metric: NonNullable<CampaignSpec['goal']>['metric'],
  conversions: readonly ReportConversion[],
): PacingPoint[] {
  const sorted = conversions.filter((c) => c.arm !== 'holdout').sort((a, b) => a.occurredAt - b.occurredAt);
  const seen = new Set<string>();
  let total = 0;
  const out: PacingPoint[] = [];
  for (const c of sorted) {
    if (metric === 'value' || metric === 'pipeline_created' || metric === 'revenue_won') total += c.value;
    else if (metric === 'unique_converters') {
      if (seen.has(c.contactId)) continue;
      seen.add(c.contactId);
      total += 1;
    } else total += 1;
    const last = out.at(-1);
    if (last && last.at === c.occurredAt) last.actual = total;
    else out.push({ at: c.occurredAt, actual: total });
  }
  return out;
}

/** Money goals sum a value per conversion (a compound Poisson total); the others count events. */
function pacingMeasure(metric: NonNullable<CampaignSpec['goal']>['metric']): PacingMeasure {
  return metric === 'value' || metric === 'pipeline_created' || metric === 'revenue_won' ? 'value' : 'count';
}

function windowOf(plan: ReportPlan): { start: number; end: number | null; zone: string } | null {
  if (!plan.window) return null;
  const zone = plan.window.timezone;
  const at = (v: string) => DateTime.fromISO(v, { zone }).toMillis();
  return {
    start: at(plan.window.start),
    end: plan.window.end === undefined ? null : at(plan.window.end),
    zone,
  };
}

/** Assembles the report of one campaign at `now` (pure: every input is given). */
export function buildReport(input: ReportInput): CampaignReport {
  const { campaign, now } = input;
  const plan: ReportPlan = campaign.frozenPlan ?? {
    goal: campaign.spec.goal ?? null,
    measurement: campaign.spec.measurement ?? null,
    window: campaign.spec.window ?? null,
    audience: campaign.spec.audience ?? null,
  };
  const goal = plan.goal;
  const lookbackMs = (goal?.lookback_days ?? 30) * DAY;
  const window = windowOf(plan);
  const over = campaign.endedAt !== null || (window?.end !== null && window !== null && now >= window.end);
  const treated = input.enrollments.filter((e) => e.arm !== 'holdout');
  const treatedIds = new Set(treated.map((e) => e.contactId));

  // Treatment vs holdout by one rule, counted once: the lift section and the funnel's arms line show the same.
  const arms = armConversions(input, lookbackMs, window?.start ?? campaign.launchedAt ?? 0);
  const funnel: ReportFunnel = {
    ...computeFunnel({
      enrollments: input.enrollments,
      touches: input.touches,
      events: input.events,
      conversions: input.conversions,
      lookbackMs,
      steps: campaign.spec.sequence.map((s) => ({ id: s.id, channel: s.channel })),
      accounts: plan.audience?.accounts !== undefined || campaign.spec.exit_scope === 'account',
    }),
    ...funnelArms(arms),
  };

  const treatedConversions = input.conversions.filter(
    (c) => c.arm !== 'holdout' && treatedIds.has(c.contactId),
  );
  const series = goal ? goalSeries(goal.metric, treatedConversions) : [];

  // Goal
  let goalSection: GoalSection | Unavailable;
  if (!goal) goalSection = unavailable('the campaign has no goal, so there is nothing to judge it against');
  else {
    const converters = new Set(treatedConversions.map((c) => c.contactId)).size;
    let actual = series.at(-1)?.actual ?? 0;
    let target = goal.target;
    let goalRate: Rate | null = null;
    if (goal.metric === 'rate') {
      goalRate = rate(converters, treatedIds.size, 'enrolled');
      actual = goalRate.value ?? 0;
      // A rate target above 1 is read as a percentage (5 = 5%).
      if (target > 1) target = target / 100;
    }
    const met = goalRate ? goalRate.value !== null && actual >= target : actual >= target;
    goalSection = {
      available: true,
      metric: goal.metric,
      event: goal.event,
      target,
      actual,
      difference: actual - target,
      shareOfTarget: actual / target,
      outcome: met ? 'met' : over ? 'missed' : 'in_progress',
      lookbackDays: goal.lookback_days,
      rate: goalRate,
      period: null,
    };
  }

  const budget = campaign.spec.budget;
  const isMonth = (k: string): boolean => /^\d{4}-\d{2}$/.test(k);
  // Recorded spend (an amount per day and channel) replaces the hand-kept `budget.spend` of the spec.
  const recorded = input.spend ?? [];
  const sumBy = (rows: typeof recorded, key: (r: (typeof recorded)[number]) => string) => {
    const out: Record<string, number> = {};
    for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + r.amount;
    return out;
  };
  const specSpend = Object.entries(budget?.spend ?? {});
  const totalSpend =
    recorded.length > 0
      ? recorded.reduce((s, r) => s + r.amount, 0)
      : specSpend.length > 0
        ? specSpend.reduce((s, [, v]) => s + v, 0)
        : undefined;
  const monthly =
    recorded.length > 0
      ? sumBy(recorded, (r) => r.date.slice(0, 7))
      : Object.fromEntries(specSpend.filter(([k]) => isMonth(k)));
  const channelSpend =
    recorded.length > 0
      ? Object.entries(
          sumBy(
            recorded.filter((r) => r.channel !== null),
            (r) => r.channel!,
          ),
        )
      : specSpend.filter(([k]) => !isMonth(k));

  // Pacing
  let pacing: PacingSection;
  if (!goal) pacing = unavailable('no goal to pace');
  else if (goal.metric === 'rate')
    pacing = unavailable(
      'pacing applies to cumulative goals (conversions, converters, value), not to a rate',
    );
  else if (!window) pacing = unavailable('the plan has no window');
  else if (campaign.kind === 'always-on') {
    const start = Math.min(window.start, campaign.launchedAt ?? window.start);
    pacing =
      now < start
        ? unavailable('the program has not started')
        : {
            available: true,
            kind: 'monthly',
            months: alwaysOnPacing({
              monthlyTarget: goal.target,
              series,
              programStart: start,
              now,
              timezone: window.zone,
              monthlySpend: Object.keys(monthly).length > 0 ? monthly : undefined,
              measure: pacingMeasure(goal.metric),
            }),
          };
  } else if (window.end === null) pacing = unavailable('the campaign window has no end');
  else {
    let referenceCurve: CurvePoint[] | undefined;
    let reference: string | null = null;
    if (input.reference) {
      try {
        referenceCurve = referenceCurveFromSeries(
          input.reference.series,
          input.reference.windowStart,
          input.reference.windowEnd,
        );
        reference = input.reference.id;
      } catch (e) {
        errorReason(e); // an unusable reference falls back to linear pacing
      }
    }
    const result = goalPacing({
      target: goal.target,
      windowStart: window.start,
      windowEnd: window.end,
      series,
      now,
      referenceCurve,
      budget: budget?.amount,
      spend: totalSpend,
      measure: pacingMeasure(goal.metric),
    });
    pacing = { available: true, kind: 'window', reference, ...result };
  }

  // An always-on program's target is per month: the goal is this month's result against it.
  if (goalSection.available && pacing.available && pacing.kind === 'monthly') {
    const month = pacing.months.at(-1);
    if (month) {
      const actual = month.actualToDate;
      goalSection = {
        ...goalSection,
        actual,
        difference: actual - month.target,
        shareOfTarget: actual / month.target,
        outcome: actual >= month.target ? 'met' : 'in_progress',
        period: month.period,
      };
    }
  }

  // Attribution: the treated arm's sent touches and conversions, credited by channel and by step.
  let attribution: AttributionSection | Unavailable;
  const sent = input.touches.filter(
    (t) => t.status === 'sent' && t.sentAt !== null && treatedIds.has(t.contactId),
  );
  if (treatedConversions.length === 0) attribution = unavailable('no conversions to attribute yet');
  else {
    try {
      const conversions = treatedConversions.map((c) => ({
        contactId: c.contactId,
        at: c.occurredAt,
        value: c.value,
      }));
      const grain = (key: (t: FunnelTouch) => string): TimedTouch[] =>
        sent.map((t) => ({ contactId: t.contactId, channel: key(t), at: t.sentAt! }));
      const options = { lookbackMs, asOf: now };
      const byChannel = journeysFromEvents(
        grain((t) => t.channel),
        conversions,
        options,
      );
      const byStep = journeysFromEvents(
        grain((t) => t.stepId),
        conversions,
        options,
      );
      if (!byChannel.paths.some((p) => p.conversions > 0))
        attribution = unavailable('no conversion had a campaign touch inside the lookback window');
      else
        attribution = {
          available: true,
          headline: goal?.attribution ?? 'position_based',
          lookbackDays: lookbackMs / DAY,
          byChannel: attribute(toPathSet(byChannel.paths)),
          byStep: attribute(toPathSet(byStep.paths)),
          unattributed: byChannel.unattributed,
        };
    } catch (e) {
      attribution = unavailable(errorReason(e));
    }
  }

  const experiments = experimentSections(
    campaign,
    plan,
    funnel,
    over ? now : null, // once the campaign is over, every test is due a decision
    now,
    input.autoWinners ?? [],
  );
  const lift = liftSection(input, lookbackMs, window?.start ?? campaign.launchedAt ?? 0, arms);

  // Cost per result
  let cost: CostSection | Unavailable;
  if (!budget && totalSpend === undefined)
    cost = unavailable('no budget or spend is recorded for this campaign');
  else {
    const results =
      goal && (goal.metric === 'conversions' || goal.metric === 'unique_converters')
        ? (series.at(-1)?.actual ?? 0)
        : treatedConversions.length;
    const basis = totalSpend !== undefined ? 'spend' : 'budget';
    const amount = totalSpend ?? budget?.amount ?? 0;
    const headline = attribution.available
      ? attribution.byChannel.models.find((m) => m.model === attribution.headline)
      : undefined;
    cost = {
      available: true,
      currency: budget?.currency ?? recorded[0]?.currency ?? '',
      budget: budget?.amount ?? null,
      spend: totalSpend ?? null,
      results,
      costPerResult: results > 0 ? amount / results : null,
      basis,
      ...(results > 0 ? {} : { reason: 'no results yet: the cost per result is undefined' }),
      byChannel: channelSpend.map(([channel, spend]) => {
        const credited = headline?.credits.find((c) => c.channel === channel)?.conversions ?? 0;
        return { channel, spend, credited, costPerResult: credited > 0 ? spend / credited : null };
      }),
    };
  }

  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      kind: campaign.kind,
      status: campaign.status,
      launchedAt: campaign.launchedAt,
      endedAt: campaign.endedAt,
      frozenHash: campaign.frozenHash,
      plan: campaign.frozenPlan ? 'frozen' : 'spec',
    },
    asOf: now,
    goal: goalSection,
    pacing,
    funnel,
    attribution,
    experiments,
    lift,
    cost,
    learnings: input.review
      ? { text: input.review.learnings, author: input.review.author, updatedAt: input.review.updatedAt }
      : null,
  };
}
