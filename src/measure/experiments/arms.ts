// The inputs of every experiment statistic (counts per arm) and their validation.
import { BatonError, type FieldIssue } from '../../domain/errors.js';

/** A conversion-rate arm: `conversions` out of `n` exposed contacts. */
export interface RateArm {
  conversions: number;
  n: number;
}

/** A value-per-contact arm given by its sufficient statistics: n, Σx and Σx². */
export interface MeanArm {
  n: number;
  sum: number;
  sumSquares: number;
}

/** Mean, per-observation variance and size of one arm: what the normal-theory tests consume. */
export interface Moments {
  mean: number;
  variance: number;
  n: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

const isCount = (x: number) => Number.isFinite(x) && Number.isInteger(x) && x >= 0;

function rateIssues(arm: RateArm, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!isCount(arm.n))
    issues.push({ path: `${path}.n`, message: `must be a whole number ≥ 0, got ${arm.n}` });
  else if (arm.n === 0)
    issues.push({ path: `${path}.n`, message: 'must be at least 1 (nobody was exposed)' });
  if (!isCount(arm.conversions))
    issues.push({
      path: `${path}.conversions`,
      message: `must be a whole number ≥ 0, got ${arm.conversions}`,
    });
  else if (isCount(arm.n) && arm.conversions > arm.n)
    issues.push({
      path: `${path}.conversions`,
      message: `${arm.conversions} conversions cannot exceed the ${arm.n} contacts exposed`,
    });
  return issues;
}

/** Throws `invalid_input` naming the arm and the field when counts are not a valid rate. */
export function assertRateArms(arms: Array<[RateArm, string]>): void {
  const issues = arms.flatMap(([arm, path]) => rateIssues(arm, path));
  if (issues.length > 0) throw BatonError.invalid(issues);
}

function meanIssues(arm: MeanArm, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!isCount(arm.n) || arm.n < 2)
    issues.push({
      path: `${path}.n`,
      message: `must be a whole number ≥ 2 to estimate a variance, got ${arm.n}`,
    });
  if (!Number.isFinite(arm.sum)) issues.push({ path: `${path}.sum`, message: `must be a finite number` });
  if (!Number.isFinite(arm.sumSquares) || arm.sumSquares < 0)
    issues.push({
      path: `${path}.sumSquares`,
      message: `must be a finite number ≥ 0, got ${arm.sumSquares}`,
    });
  if (issues.length === 0) {
    // Σx² ≥ (Σx)²/n always holds (Cauchy–Schwarz); allow rounding in the inputs.
    const centred = arm.sumSquares - (arm.sum * arm.sum) / arm.n;
    if (centred < -1e-9 * Math.max(1, arm.sumSquares))
      issues.push({
        path: `${path}.sumSquares`,
        message: `${arm.sumSquares} is smaller than sum²/n = ${(arm.sum * arm.sum) / arm.n}: the sums do not come from one sample`,
      });
  }
  return issues;
}

/** Throws `invalid_input` when the sufficient statistics cannot come from a sample of size n ≥ 2. */
export function assertMeanArms(arms: Array<[MeanArm, string]>): void {
  const issues = arms.flatMap(([arm, path]) => meanIssues(arm, path));
  if (issues.length > 0) throw BatonError.invalid(issues);
}

/** Rate moments with the binomial variance p(1 − p) (the plug-in GrowthBook uses for proportions). */
export function rateMoments(arm: RateArm): Moments {
  const p = arm.conversions / arm.n;
  return { mean: p, variance: p * (1 - p), n: arm.n };
}

/** Mean and unbiased sample variance (Σx² − (Σx)²/n) / (n − 1), floored at 0 against rounding. */
export function meanMoments(arm: MeanArm): Moments {
  const mean = arm.sum / arm.n;
  const variance = Math.max(0, (arm.sumSquares - (arm.sum * arm.sum) / arm.n) / (arm.n - 1));
  return { mean, variance, n: arm.n };
}

/** Welch–Satterthwaite degrees of freedom for the difference of two means; ∞ when both variances vanish. */
export function welchDf(a: Moments, b: Moments): number {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const den = (va * va) / (a.n - 1) + (vb * vb) / (b.n - 1);
  if (!(den > 0)) return Number.POSITIVE_INFINITY;
  return ((va + vb) * (va + vb)) / den;
}

export function assertAlpha(alpha: number, path = 'alpha'): void {
  if (!(alpha > 0 && alpha < 1))
    throw BatonError.invalid([{ path, message: `must be strictly between 0 and 1, got ${alpha}` }]);
}
