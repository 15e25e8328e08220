// Two-proportion test: pooled z for the p-value, unpooled (Wald) interval for the difference.
import { normalQuantile, zTwoSidedP } from '../stats/distributions.js';
import { assertAlpha, assertRateArms, type Interval, type RateArm } from './arms.js';

export interface TwoProportionResult {
  controlRate: number;
  treatmentRate: number;
  /** treatment rate − control rate */
  difference: number;
  /** z = difference / pooled standard error; 0 when the pooled rate is 0 or 1 (no variation at all). */
  z: number;
  /** Two-sided p-value of the pooled z test (R's `prop.test(correct = FALSE)`); 1 when z is undefined. */
  pValue: number;
  /** Unpooled standard error √(p₁q₁/n₁ + p₂q₂/n₂) used for the interval. */
  standardError: number;
  /** (1 − alpha) Wald interval for the difference; it collapses to the point when both rates are 0 or 1. */
  interval: Interval;
  alpha: number;
}

/**
 * Pooled two-proportion z test and unpooled Wald interval. The same numbers as R's
 * `prop.test(c(xT, xC), c(nT, nC), correct = FALSE)` (X-squared = z²) and statsmodels'
 * `proportions_ztest`; see e.g. Agresti, Categorical Data Analysis, §3.1 and §3.2.
 */
export function twoProportionTest(control: RateArm, treatment: RateArm, alpha = 0.05): TwoProportionResult {
  assertRateArms([
    [control, 'control'],
    [treatment, 'treatment'],
  ]);
  assertAlpha(alpha);
  const pc = control.conversions / control.n;
  const pt = treatment.conversions / treatment.n;
  const difference = pt - pc;
  const pooled = (control.conversions + treatment.conversions) / (control.n + treatment.n);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const z = pooledSe > 0 ? difference / pooledSe : 0;
  const pValue = pooledSe > 0 ? zTwoSidedP(z) : 1;
  const standardError = Math.sqrt((pc * (1 - pc)) / control.n + (pt * (1 - pt)) / treatment.n);
  const half = normalQuantile(1 - alpha / 2) * standardError;
  return {
    controlRate: pc,
    treatmentRate: pt,
    difference,
    z,
    pValue,
    standardError,
    interval: { lower: difference - half, upper: difference + half },
    alpha,
  };
}
