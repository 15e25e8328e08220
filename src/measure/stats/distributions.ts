// Typed wrappers over the @stdlib distribution functions Baton's statistics rely on (accurate tails).
import normal from '@stdlib/stats-base-dists-normal';
import studentT from '@stdlib/stats-base-dists-t';
import chisquare from '@stdlib/stats-base-dists-chisquare';
import beta from '@stdlib/stats-base-dists-beta';

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normal.cdf(x, 0, 1);
}

/** Standard normal upper tail 1 − Φ(x), computed as Φ(−x) so that tiny p-values keep their digits. */
export function normalSf(x: number): number {
  return normal.cdf(-x, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  return normal.quantile(p, 0, 1);
}

/** Student t CDF with (possibly fractional) degrees of freedom; an infinite df is the normal. */
export function tCdf(x: number, df: number): number {
  return Number.isFinite(df) ? studentT.cdf(x, df) : normalCdf(x);
}

/** Student t quantile; an infinite df is the normal. */
export function tQuantile(p: number, df: number): number {
  return Number.isFinite(df) ? studentT.quantile(p, df) : normalQuantile(p);
}

/** Two-sided p-value of a t statistic. */
export function tTwoSidedP(t: number, df: number): number {
  return clampProbability(2 * tCdf(-Math.abs(t), df));
}

/** Two-sided p-value of a z statistic. */
export function zTwoSidedP(z: number): number {
  return clampProbability(2 * normalCdf(-Math.abs(z)));
}

/** Chi-square upper tail P(X ≥ x) with k degrees of freedom. */
export function chiSquareSf(x: number, k: number): number {
  return clampProbability(1 - chisquare.cdf(x, k));
}

/** Chi-square quantile with k degrees of freedom. */
export function chiSquareQuantile(p: number, k: number): number {
  return chisquare.quantile(p, k);
}

/** ln of the Beta(a, b) density at x. */
export function betaLogPdf(x: number, a: number, b: number): number {
  return beta.logpdf(x, a, b);
}

/** ln of the Beta(a, b) CDF at x. */
export function betaLogCdf(x: number, a: number, b: number): number {
  return beta.logcdf(x, a, b);
}

/** Beta(a, b) quantile. */
export function betaQuantile(p: number, a: number, b: number): number {
  return beta.quantile(p, a, b);
}

/** Rounding can push a computed probability a hair outside [0, 1]; probabilities we report never leave it. */
export function clampProbability(p: number): number {
  if (Number.isNaN(p)) return 1;
  return Math.min(1, Math.max(0, p));
}
