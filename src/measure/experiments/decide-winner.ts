// Auto-winner: which variant of a step's test goes to the held-back audience, decided only by the sequential test.
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import {
  assertMeanArms,
  assertRateArms,
  meanMoments,
  rateMoments,
  type Interval,
  type MeanArm,
  type Moments,
  type RateArm,
} from './arms.js';
import { bayesianRates, chanceToBeBest } from './bayesian.js';
import { relativeLift } from './relative-lift.js';
import { confidenceSequence, DEFAULT_TUNING } from './sequential.js';
import { sampleRatioMismatch, type SrmResult } from './srm.js';

/** One arm of a test: a rate (conversions of n) or a value per contact (n, Σx, Σx²). */
export type ArmData = ({ id: string } & RateArm) | ({ id: string } & MeanArm);

export interface WinnerConfig {
  controlId: string;
  /** The variant that goes when the test is inconclusive at the decision time (usually the control). */
  fallbackId: string;
  /** Epoch ms after which a decision is due; null or absent means no deadline (keep testing). */
  decisionAt?: number | null;
  /** Family-wise error rate; split across variants by Bonferroni. Default 0.05. */
  alpha?: number;
  /** Confidence-sequence tuning N (total contacts where it is tightest). Default 5000. */
  tuning?: number;
  /** Whether a higher metric is better (conversions, value) or lower (unsubscribes, cost). */
  direction?: 'higher' | 'lower';
  /**
   * Optional practical-equivalence margin, relative to the control mean (0.02 = ±2%): when every
   * variant's sequence lies inside it, the test ends early with "no difference". Without a margin a
   * test never concludes "no difference": failing to find one is not evidence of none.
   */
  equivalenceMargin?: number;
  /** Planned traffic weights per arm id, for the sample-ratio-mismatch check. */
  weights?: Record<string, number>;
}

export interface ArmComparison {
  variantId: string;
  controlMean: number;
  variantMean: number;
  /** variant − control on the metric's scale */
  difference: number;
  /** Confidence sequence for the difference, valid at every look. */
  interval: Interval;
  /** Always-valid p-value. */
  pValue: number;
  /** (variant − control) / control; null when the control mean is 0. */
  relativeLift: number | null;
  outcome: 'better' | 'worse' | 'inconclusive';
  /** Rates only (null for value metrics): exact P(variant > control) under Beta(1, 1) priors. */
  chanceToBeatControl: number | null;
  /** Rates only: expected rate given up by shipping the variant if it is in fact worse. */
  expectedLoss: number | null;
}

/**
 * `winner`: the sequential test picked a variant. `no_difference`: every variant is shown to be within
 * the equivalence margin of the control (only with a margin). `inconclusive`: the decision time came
 * (or a sample-ratio mismatch blocked the test) without evidence either way, so the fallback goes.
 * `keep_testing`: not decided yet.
 */
export type Verdict = 'winner' | 'keep_testing' | 'no_difference' | 'inconclusive';

/** Every verdict, for schemas that declare the enum. */
export const VERDICTS = ['winner', 'keep_testing', 'no_difference', 'inconclusive'] as const;

export interface WinnerDecision {
  verdict: Verdict;
  /** The variant to send to the rest of the audience, once `final`; null while testing goes on. */
  chosenVariant: string | null;
  decidedBy: 'sequential_test' | 'fallback' | null;
  /** True when a variant is chosen (conclusive result, equivalence, or the decision time has passed). */
  final: boolean;
  reason: string;
  /** Per-comparison alpha after the Bonferroni split. */
  alpha: number;
  comparisons: ArmComparison[];
  /** Rates only: P(each arm has the highest rate — or the lowest for direction "lower"), by arm id. */
  chanceToBeBest: Record<string, number> | null;
  srm: SrmResult | null;
}

/**
 * The variance of one conversion in a rate arm, from the Agresti–Caffo adjusted rate (x + 1) / (n + 2)
 * (Agresti & Caffo 2000, "Simple and effective confidence intervals for proportions and differences of
 * proportions result from adding two successes and two failures", The American Statistician 54(4)). The
 * plug-in p(1 − p) is 0 when an arm converts none or all of its contacts, which made 2/2 against 0/2 a
 * certain winner; the adjusted rate keeps the spread honest at small counts and fades as n grows.
 */
function adjustedRateVariance(arm: RateArm): number {
  const p = (arm.conversions + 1) / (arm.n + 2);
  return p * (1 - p);
}

function isRate(arm: ArmData): arm is { id: string } & RateArm {
  return 'conversions' in arm;
}

function validate(arms: ArmData[], config: WinnerConfig): void {
  const issues: FieldIssue[] = [];
  if (arms.length < 2)
    issues.push({ path: 'arms', message: 'a test needs a control and at least one variant' });
  const ids = new Set<string>();
  arms.forEach((a, i) => {
    if (ids.has(a.id))
      issues.push({ path: `arms.${i}.id`, message: `${JSON.stringify(a.id)} appears twice` });
    ids.add(a.id);
  });
  if (!ids.has(config.controlId))
    issues.push({ path: 'controlId', message: `${JSON.stringify(config.controlId)} is not one of the arms` });
  if (!ids.has(config.fallbackId))
    issues.push({
      path: 'fallbackId',
      message: `${JSON.stringify(config.fallbackId)} is not one of the arms`,
    });
  const kinds = new Set(arms.map((a) => (isRate(a) ? 'rate' : 'mean')));
  if (kinds.size > 1) issues.push({ path: 'arms', message: 'all arms must measure the same kind of metric' });
  if (config.equivalenceMargin !== undefined && !(config.equivalenceMargin > 0))
    issues.push({ path: 'equivalenceMargin', message: `must be > 0, got ${config.equivalenceMargin}` });
  if (issues.length > 0) throw BatonError.invalid(issues);
  arms.forEach((a, i) => {
    if (isRate(a)) assertRateArms([[a, `arms.${i}`]]);
    else assertMeanArms([[a, `arms.${i}`]]);
  });
}

/**
 * Decides a test from its arms' counts at time `now` (epoch ms). Each variant is compared with the
 * control by an asymptotic confidence sequence on the difference (docs/decisions/0004), so looking
 * every hour does not inflate false winners. A variant wins only when its sequence lies entirely on
 * the good side; the control wins when every variant is conclusively worse. Otherwise the test goes
 * on until `decisionAt`, when the fallback variant goes with verdict "inconclusive" (neither a
 * difference nor its absence was demonstrated). "no_difference" needs evidence: every variant's
 * sequence inside `equivalenceMargin`. A sample-ratio mismatch blocks any winner: the counts cannot be trusted.
 */
export function decideWinner(arms: ArmData[], config: WinnerConfig, now: number): WinnerDecision {
  validate(arms, config);
  const familyAlpha = config.alpha ?? 0.05;
  const tuning = config.tuning ?? DEFAULT_TUNING;
  const sign = (config.direction ?? 'higher') === 'higher' ? 1 : -1;
  const control = arms.find((a) => a.id === config.controlId)!;
  const variants = arms.filter((a) => a.id !== config.controlId);
  const alpha = familyAlpha / variants.length;
  const moments = (a: ArmData): Moments => (isRate(a) ? rateMoments(a) : meanMoments(a));
  const mc = moments(control);

  const comparisons: ArmComparison[] = variants.map((v) => {
    const mv = moments(v);
    const difference = mv.mean - mc.mean;
    const se =
      isRate(v) && isRate(control)
        ? Math.sqrt(adjustedRateVariance(control) / mc.n + adjustedRateVariance(v) / mv.n)
        : Math.sqrt(mc.variance / mc.n + mv.variance / mv.n);
    const cs = confidenceSequence(difference, se, mc.n + mv.n, { alpha, tuning });
    // No spread observed at all (a handful of identical values per arm) is no evidence of a difference.
    const measured = se > 0;
    const good = measured && (sign > 0 ? cs.interval.lower > 0 : cs.interval.upper < 0);
    const bad = measured && (sign > 0 ? cs.interval.upper < 0 : cs.interval.lower > 0);
    const bayes = isRate(v) && isRate(control) ? bayesianRates(control, v) : null;
    // For a lower-is-better metric, "beating" the control means a lower rate.
    const chance = bayes ? (sign > 0 ? bayes.chanceToBeatControl : 1 - bayes.chanceToBeatControl) : null;
    const loss = bayes ? (sign > 0 ? bayes.expectedLossTreatment : bayes.expectedLossControl) : null;
    return {
      variantId: v.id,
      controlMean: mc.mean,
      variantMean: mv.mean,
      difference,
      interval: cs.interval,
      pValue: cs.pValue,
      relativeLift: relativeLift(mc, mv, alpha)?.estimate ?? null,
      outcome: good ? 'better' : bad ? 'worse' : 'inconclusive',
      chanceToBeatControl: chance,
      expectedLoss: loss,
    };
  });

  const srm = config.weights
    ? sampleRatioMismatch(
        arms.map((a) => a.n),
        arms.map((a) => {
          const w = config.weights![a.id];
          if (w === undefined)
            throw BatonError.invalid([
              { path: `weights.${a.id}`, message: 'every arm needs a planned weight' },
            ]);
          return w;
        }),
      )
    : null;

  let best: Record<string, number> | null = null;
  if (arms.every(isRate)) {
    const posteriors = arms.map((a) => {
      const r = a as { id: string } & RateArm;
      // "Lower is better" is "higher is better" for the complementary rate: swap alpha and beta.
      const alphaBeta = { alpha: 1 + r.conversions, beta: 1 + r.n - r.conversions };
      return sign > 0 ? alphaBeta : { alpha: alphaBeta.beta, beta: alphaBeta.alpha };
    });
    const p =
      arms.length === 2
        ? (() => {
            const variantFirst = comparisons[0]!.chanceToBeatControl!;
            return arms[0]!.id === config.controlId
              ? [1 - variantFirst, variantFirst]
              : [variantFirst, 1 - variantFirst];
          })()
        : chanceToBeBest(posteriors);
    best = Object.fromEntries(arms.map((a, i) => [a.id, p[i]!]));
  }

  const due = config.decisionAt !== undefined && config.decisionAt !== null && now >= config.decisionAt;
  const base = { alpha, comparisons, chanceToBeBest: best, srm };
  const fallback = (reason: string): WinnerDecision => ({
    ...base,
    verdict: 'inconclusive',
    chosenVariant: config.fallbackId,
    decidedBy: 'fallback',
    final: true,
    reason,
  });
  const keepTesting = (reason: string): WinnerDecision => ({
    ...base,
    verdict: 'keep_testing',
    chosenVariant: null,
    decidedBy: null,
    final: false,
    reason,
  });

  if (srm?.mismatch) {
    const why = `sample ratio mismatch (p = ${srm.pValue.toExponential(2)}): assignment looks broken, no winner can be trusted`;
    return due ? fallback(`${why}; the fallback goes`) : keepTesting(why);
  }

  const better = comparisons.filter((c) => c.outcome === 'better');
  if (better.length > 0) {
    const best = better.reduce((a, b) => (sign * b.difference > sign * a.difference ? b : a));
    return {
      ...base,
      verdict: 'winner',
      chosenVariant: best.variantId,
      decidedBy: 'sequential_test',
      final: true,
      reason: `${best.variantId} beats ${config.controlId}: the confidence sequence for the difference excludes 0`,
    };
  }
  if (comparisons.every((c) => c.outcome === 'worse')) {
    return {
      ...base,
      verdict: 'winner',
      chosenVariant: config.controlId,
      decidedBy: 'sequential_test',
      final: true,
      reason: `${config.controlId} beats every variant: each confidence sequence excludes 0`,
    };
  }
  if (config.equivalenceMargin !== undefined && mc.mean !== 0) {
    const margin = config.equivalenceMargin * Math.abs(mc.mean);
    if (comparisons.every((c) => c.interval.lower > -margin && c.interval.upper < margin)) {
      return {
        ...base,
        verdict: 'no_difference',
        chosenVariant: config.fallbackId,
        decidedBy: 'sequential_test',
        final: true,
        reason: `every variant is within ±${config.equivalenceMargin * 100}% of ${config.controlId}`,
      };
    }
  }
  if (due)
    return fallback('not conclusive under the sequential test by the decision time; the fallback goes');
  return keepTesting('not conclusive yet under the sequential test');
}
