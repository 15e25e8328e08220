// Relative lift (treatment − control) / control with its delta-method interval.
import { tQuantile, tTwoSidedP } from '../stats/distributions.js';
import { assertAlpha, welchDf, type Interval, type Moments } from './arms.js';

export interface RelativeLift {
  /** (treatment mean − control mean) / control mean */
  estimate: number;
  /** Delta-method standard error of the ratio of two independent means. */
  standardError: number;
  df: number;
  interval: Interval;
  /** Two-sided p-value of estimate / standardError against t(df); 1 when the standard error is 0. */
  pValue: number;
  alpha: number;
}

/**
 * Delta method for the ratio of independent means (e.g. Kohavi, Tang & Xu, "Trustworthy Online
 * Controlled Experiments", 2020, §18): Var(Δ%) ≈ σ²_T/(μ²_C n_T) + σ²_C μ²_T/(μ⁴_C n_C), with a t
 * interval on Welch–Satterthwaite df, as GrowthBook's gbstats `TwoSidedTTest(relative)` does.
 * Returns null when the control mean is 0: a relative change from nothing is undefined.
 */
export function relativeLift(control: Moments, treatment: Moments, alpha = 0.05): RelativeLift | null {
  assertAlpha(alpha);
  if (control.mean === 0) return null;
  const mc = control.mean;
  const mt = treatment.mean;
  const estimate = (mt - mc) / mc;
  const variance =
    treatment.variance / (mc * mc * treatment.n) + (control.variance * mt * mt) / (mc ** 4 * control.n);
  const standardError = Math.sqrt(Math.max(0, variance));
  const df = welchDf(control, treatment);
  if (!(standardError > 0))
    return {
      estimate,
      standardError: 0,
      df,
      interval: { lower: estimate, upper: estimate },
      pValue: 1,
      alpha,
    };
  const half = tQuantile(1 - alpha / 2, df) * standardError;
  return {
    estimate,
    standardError,
    df,
    interval: { lower: estimate - half, upper: estimate + half },
    pValue: tTwoSidedP(estimate / standardError, df),
    alpha,
  };
}
