// The report's experiment and holdout-lift sections: A/B steps compared by the sequential test with a
// recommendation, and treatment vs holdout by one conversion rule for both arms.
import { isBatonError } from '../domain/errors.js';
import {
  decideWinner,
  twoProportionTest,
  type AutoWinnerRecord,
  type TwoProportionResult,
  type Verdict,
  type WinnerDecision,
} from './experiments/index.js';
import { rate, type Funnel, type FunnelArms, type FunnelStage, type Rate } from './funnel.js';
import { holdoutLift, type HoldoutLift } from './lift.js';
export type { AutoWinnerArm, AutoWinnerRecord } from './experiments/index.js';
import type { ReportCampaign, ReportInput, ReportPlan, Unavailable } from './report.js';

export interface ExperimentArm {
  variant: string;
  n: number;
  successes: number;
  rate: Rate;
  /** Fixed-horizon pooled z test against the control (for reference; the recommendation uses the sequential test). */
  versusControl: TwoProportionResult | null;
}

export interface ExperimentSection {
  step: string;
  metric: FunnelStage;
  control: string;
  arms: ExperimentArm[];
  /** `decideWinner`'s verdict; `inconclusive` once the test is due without evidence either way. */
  recommendation: Verdict | null;
  winner: string | null;
  reason: string;
  decision: WinnerDecision | null;
  /**
   * Auto-winner steps: the recorded decision (its arms are the test share at the decision; the held contacts
   * then got the chosen variant and are not compared), or null while the test runs or for a plain A/B step.
   */
  autoWinner: AutoWinnerRecord | null;
}

export type LiftSection =
  | ({
      available: true;
      basis: string;
      treatment: { n: number; converted: number; value: number };
      holdout: { n: number; converted: number; value: number };
    } & HoldoutLift)
  | Unavailable;

export const unavailable = (reason: string): Unavailable => ({ available: false, reason });
export const errorReason = (e: unknown): string => {
  if (isBatonError(e)) return e.message;
  throw e;
};

/** One test per A/B step (and per declared experiment): variants compared on the step's metric. */
export function experimentSections(
  campaign: ReportCampaign,
  plan: ReportPlan,
  funnel: Funnel,
  decisionAt: number | null,
  now: number,
  autoWinners: readonly AutoWinnerRecord[] = [],
): ExperimentSection[] {
  const declared = new Map((plan.measurement?.experiments ?? []).map((x) => [x.step, x.metric]));
  const out: ExperimentSection[] = [];
  for (const step of campaign.spec.sequence) {
    if (!step.variants) continue;
    const metric: FunnelStage = step.test?.metric ?? declared.get(step.id) ?? 'clicked';
    const control = step.variants[0]!.id;
    const recorded = autoWinners.find((d) => d.stepId === step.id);
    if (recorded) {
      out.push(recordedSection(step.id, metric, control, recorded));
      continue;
    }
    const rows = new Map(funnel.variants.filter((v) => v.step === step.id).map((v) => [v.variant, v]));
    const counts = step.variants.map((v) => {
      const row = rows.get(v.id);
      return { id: v.id, weight: v.weight, n: row?.counts.touched ?? 0, successes: row?.counts[metric] ?? 0 };
    });
    const controlCounts = counts[0]!;
    const arms: ExperimentArm[] = counts.map((c) => ({
      variant: c.id,
      n: c.n,
      successes: c.successes,
      rate: rate(c.successes, c.n, 'touched'),
      versusControl:
        c.id !== control && c.n > 0 && controlCounts.n > 0
          ? twoProportionTest(
              { conversions: controlCounts.successes, n: controlCounts.n },
              { conversions: c.successes, n: c.n },
            )
          : null,
    }));
    const base = { step: step.id, metric, control, arms };
    const live = counts.filter((c) => c.n > 0);
    if (live.length < 2 || controlCounts.n === 0) {
      out.push({
        ...base,
        recommendation: null,
        winner: null,
        reason:
          controlCounts.n === 0
            ? `the control variant ${control} was sent to nobody yet`
            : 'fewer than two variants were sent: nothing to compare yet',
        decision: null,
        autoWinner: null,
      });
      continue;
    }
    try {
      const weights = Object.fromEntries(live.map((c) => [c.id, c.weight]));
      const canCheckRatio = live.every((c) => c.weight > 0) && !step.test;
      const decision = decideWinner(
        live.map((c) => ({ id: c.id, conversions: c.successes, n: c.n })),
        {
          controlId: control,
          fallbackId: step.test?.fallback ?? control,
          decisionAt,
          ...(canCheckRatio ? { weights } : {}),
        },
        now,
      );
      out.push({
        ...base,
        recommendation: decision.verdict,
        winner: decision.verdict === 'winner' ? decision.chosenVariant : null,
        reason: decision.reason,
        decision,
        autoWinner: null,
      });
    } catch (e) {
      out.push({
        ...base,
        recommendation: null,
        winner: null,
        reason: errorReason(e),
        decision: null,
        autoWinner: null,
      });
    }
  }
  return out;
}

/** A decided auto-winner step: the test share's arms at the decision and the recorded verdict. */
function recordedSection(
  step: string,
  metric: FunnelStage,
  control: string,
  d: AutoWinnerRecord,
): ExperimentSection {
  const c = d.arms.find((a) => a.id === control);
  const arms: ExperimentArm[] = d.arms.map((a) => ({
    variant: a.id,
    n: a.n,
    successes: a.successes,
    rate: rate(a.successes, a.n, 'touched'),
    versusControl:
      a.id !== control && a.n > 0 && c && c.n > 0
        ? twoProportionTest({ conversions: c.successes, n: c.n }, { conversions: a.successes, n: a.n })
        : null,
  }));
  return {
    step,
    metric,
    control,
    arms,
    recommendation: d.verdict,
    winner: d.verdict === 'winner' ? d.variantId : null,
    reason: `decided: ${d.reason}; ${d.released} held contact${d.released === 1 ? '' : 's'} sent ${d.variantId}`,
    decision: null,
    autoWinner: d,
  };
}

/** One arm by the comparison rule: contacts (first enrollment each), converters, Σ value and Σ value². */
export interface ArmTally {
  n: number;
  converted: number;
  value: number;
  sumSquares: number;
}

export interface ArmConversions {
  /** The rule, in a marketer's words. */
  basis: string;
  treatment: ArmTally;
  holdout: ArmTally;
}

/**
 * Treatment vs holdout by one rule for both arms (intention to treat): a contact, counted once at its first
 * enrollment, converted when a goal event followed that enrollment, from the window's start until the lookback
 * after the campaign ended (or now). The engine's conversion record needs a campaign touch for treated
 * contacts, which the holdout cannot have, so it would favour neither arm fairly. The lift section and the
 * funnel's treatment-vs-holdout line both count from here.
 */
export function armConversions(input: ReportInput, lookbackMs: number, windowStart: number): ArmConversions {
  const plan = input.campaign.frozenPlan ?? input.campaign.spec;
  const until = Math.min(input.now, (input.campaign.endedAt ?? input.now) + lookbackMs);
  const enrolledAt = new Map<string, { arm: string; at: number }>();
  for (const e of input.enrollments) {
    const prev = enrolledAt.get(e.contactId);
    if (!prev || e.enrolledAt < prev.at) enrolledAt.set(e.contactId, { arm: e.arm, at: e.enrolledAt });
  }
  const arms = {
    treatment: { n: 0, converted: 0, value: 0, sumSquares: 0 },
    holdout: { n: 0, converted: 0, value: 0, sumSquares: 0 },
  };
  const perContact = new Map<string, number>();
  for (const g of plan.goal ? input.goalEvents : []) {
    const e = enrolledAt.get(g.contactId);
    if (!e || g.occurredAt < e.at || g.occurredAt < windowStart || g.occurredAt > until) continue;
    perContact.set(g.contactId, (perContact.get(g.contactId) ?? 0) + g.value);
  }
  for (const [contact, e] of enrolledAt) {
    const arm = e.arm === 'holdout' ? arms.holdout : arms.treatment;
    arm.n++;
    const v = perContact.get(contact);
    if (v === undefined) continue;
    arm.converted++;
    arm.value += v;
    arm.sumSquares += v * v;
  }
  return {
    basis: plan.goal
      ? `contacts with a ${plan.goal.event} event after enrollment, both arms alike`
      : 'no goal event: nobody converts',
    ...arms,
  };
}

/** The funnel's treatment-vs-holdout line: both arms' enrolled and converters by `armConversions`' rule. */
export function funnelArms(arms: ArmConversions): FunnelArms {
  const line = (a: ArmTally) => ({
    enrolled: a.n,
    converted: a.converted,
    conversionRate: rate(a.converted, a.n, 'enrolled'),
  });
  return { comparisonBasis: arms.basis, treatment: line(arms.treatment), holdout: line(arms.holdout) };
}

/** Holdout lift over `armConversions`' counts (the funnel's treatment-vs-holdout line shows the same). */
export function liftSection(
  input: ReportInput,
  lookbackMs: number,
  windowStart: number,
  counted: ArmConversions = armConversions(input, lookbackMs, windowStart),
): LiftSection {
  const plan = input.campaign.frozenPlan ?? input.campaign.spec;
  if (!plan.goal) return unavailable('no goal event to compare the arms on');
  const arms = { treatment: counted.treatment, holdout: counted.holdout };
  if (arms.holdout.n === 0)
    return unavailable(
      'the campaign has no holdout: lift cannot be measured (set measurement.holdout_percent)',
    );
  if (arms.treatment.n === 0) return unavailable('nobody is in the treatment arm');
  const withValue =
    arms.treatment.n >= 2 && arms.holdout.n >= 2 && arms.treatment.value + arms.holdout.value > 0;
  try {
    const lift = holdoutLift({
      treatment: { conversions: arms.treatment.converted, n: arms.treatment.n },
      holdout: { conversions: arms.holdout.converted, n: arms.holdout.n },
      ...(withValue
        ? {
            treatmentValue: { sum: arms.treatment.value, sumSquares: arms.treatment.sumSquares },
            holdoutValue: { sum: arms.holdout.value, sumSquares: arms.holdout.sumSquares },
          }
        : {}),
    });
    const pick = (a: typeof arms.treatment) => ({ n: a.n, converted: a.converted, value: a.value });
    return {
      available: true,
      basis: counted.basis,
      treatment: pick(arms.treatment),
      holdout: pick(arms.holdout),
      ...lift,
    };
  } catch (e) {
    return unavailable(errorReason(e));
  }
}
