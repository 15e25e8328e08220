// Welch's unequal-variance t test for value per contact, from n, Σx and Σx² per arm.
import { tQuantile, tTwoSidedP } from '../stats/distributions.js';
import { assertAlpha, assertMeanArms, meanMoments, welchDf, type Interval, type MeanArm } from './arms.js';

export interface WelchResult {
  controlMean: number;
  treatmentMean: number;
  controlVariance: number;
  treatmentVariance: number;
  /** treatment mean − control mean */
  difference: number;
  standardError: number;
  /** 0 when the standard error is 0 (both arms constant): no evidence is claimed. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom (∞ when both arms are constant). */
  df: number;
  /** Two-sided p-value; 1 when the standard error is 0. */
  pValue: number;
  interval: Interval;
  alpha: number;
}

/**
 * Welch two-sample t test (Welch 1947; Satterthwaite 1946 for the df), as R's
 * `t.test(treatment, control)` with the default `var.equal = FALSE`.
 */
export function welchTTest(control: MeanArm, treatment: MeanArm, alpha = 0.05): WelchResult {
  assertMeanArms([
    [control, 'control'],
    [treatment, 'treatment'],
  ]);
  assertAlpha(alpha);
  const c = meanMoments(control);
  const t = meanMoments(treatment);
  const difference = t.mean - c.mean;
  const standardError = Math.sqrt(c.variance / c.n + t.variance / t.n);
  const df = welchDf(c, t);
  if (!(standardError > 0)) {
    return {
      controlMean: c.mean,
      treatmentMean: t.mean,
      controlVariance: c.variance,
      treatmentVariance: t.variance,
      difference,
      standardError: 0,
      t: 0,
      df,
      pValue: 1,
      interval: { lower: difference, upper: difference },
      alpha,
    };
  }
  const tStat = difference / standardError;
  const half = tQuantile(1 - alpha / 2, df) * standardError;
  return {
    controlMean: c.mean,
    treatmentMean: t.mean,
    controlVariance: c.variance,
    treatmentVariance: t.variance,
    difference,
    standardError,
    t: tStat,
    df,
    pValue: tTwoSidedP(tStat, df),
    interval: { lower: difference - half, upper: difference + half },
    alpha,
  };
}
