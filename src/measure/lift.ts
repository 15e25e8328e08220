// Holdout lift: what the campaign added over doing nothing, from treatment vs holdout conversion.
import { BatonError } from '../domain/errors.js';
import { newcombeDifference } from './stats/newcombe.js';
import { assertAlpha, assertRateArms, rateMoments, type Interval, type RateArm } from './experiments/arms.js';
import { welchTTest } from './experiments/means.js';
import { twoProportionTest } from './experiments/proportions.js';
import { relativeLift } from './experiments/relative-lift.js';

export interface Estimate {
  estimate: number;
  interval: Interval;
}

/** Conversion value summed over the arm's contacts (non-converters count as 0): Σv and Σv². */
export interface ValueSums {
  sum: number;
  sumSquares: number;
}

export interface HoldoutInput {
  treatment: RateArm;
  holdout: RateArm;
  treatmentValue?: ValueSums;
  holdoutValue?: ValueSums;
  /** Default 0.05: 95% intervals. */
  alpha?: number;
}

export interface HoldoutLift {
  treatmentRate: number;
  holdoutRate: number;
  /** treatment rate − holdout rate, Newcombe hybrid score interval (method 10). */
  absoluteLift: Estimate;
  /** (treatment − holdout) / holdout, delta-method interval; null when the holdout converted nobody. */
  relativeLift: Estimate | null;
  /** Conversions the campaign caused among the treated: absolute lift × treated contacts. */
  incrementalConversions: Estimate;
  /** Value the campaign caused: (value per treated − value per held-out contact) × treated contacts. */
  incrementalValue: Estimate | null;
  /** Pooled two-proportion z test p-value. */
  pValue: number;
  /** Welch p-value for value per contact; null without value sums. */
  valuePValue: number | null;
  significant: boolean;
  alpha: number;
}

const scale = (e: Estimate, k: number): Estimate => ({
  estimate: e.estimate * k,
  interval: { lower: e.interval.lower * k, upper: e.interval.upper * k },
});

/**
 * Lift of a campaign over its randomised holdout (Kohavi et al. 2020, ch. 20 "holdout"): the
 * difference in conversion rate, its relative form, and the incremental conversions and value it
 * implies for the treated audience. Incremental counts scale the rate difference by the number of
 * treated contacts, so their intervals are the rate interval times that number; incremental value
 * uses Welch's interval on value per contact.
 */
export function holdoutLift(input: HoldoutInput): HoldoutLift {
  const alpha = input.alpha ?? 0.05;
  assertAlpha(alpha);
  assertRateArms([
    [input.treatment, 'treatment'],
    [input.holdout, 'holdout'],
  ]);
  if ((input.treatmentValue === undefined) !== (input.holdoutValue === undefined))
    throw BatonError.invalid([
      {
        path: 'holdoutValue',
        message: 'give value sums for both the treatment and the holdout, or for neither',
      },
    ]);

  if (input.treatmentValue && (input.treatment.n < 2 || input.holdout.n < 2))
    throw BatonError.invalid([
      {
        path: input.treatment.n < 2 ? 'treatment.n' : 'holdout.n',
        message: 'value per contact needs at least 2 contacts in each group to estimate a variance',
      },
    ]);

  const test = twoProportionTest(input.holdout, input.treatment, alpha);
  // Newcombe's hybrid score interval, not Wald's: a holdout is small and often converts nobody, and the
  // Wald interval then collapses around the treatment rate alone (claiming certainty it does not have).
  const nc = newcombeDifference(
    input.treatment.conversions,
    input.treatment.n,
    input.holdout.conversions,
    input.holdout.n,
    alpha,
  );
  const absoluteLift: Estimate = {
    estimate: test.difference,
    interval: { lower: nc.lower, upper: nc.upper },
  };
  const rel = relativeLift(rateMoments(input.holdout), rateMoments(input.treatment), alpha);
  const nT = input.treatment.n;

  let incrementalValue: Estimate | null = null;
  let valuePValue: number | null = null;
  if (input.treatmentValue && input.holdoutValue) {
    const value = welchTTest(
      { n: input.holdout.n, ...input.holdoutValue },
      { n: input.treatment.n, ...input.treatmentValue },
      alpha,
    );
    incrementalValue = scale({ estimate: value.difference, interval: value.interval }, nT);
    valuePValue = value.pValue;
  }

  return {
    treatmentRate: test.treatmentRate,
    holdoutRate: test.controlRate,
    absoluteLift,
    relativeLift: rel ? { estimate: rel.estimate, interval: rel.interval } : null,
    incrementalConversions: scale(absoluteLift, nT),
    incrementalValue,
    pValue: test.pValue,
    valuePValue,
    significant: test.pValue < alpha,
    alpha,
  };
}
