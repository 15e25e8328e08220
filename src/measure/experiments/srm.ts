// Sample-ratio mismatch: a chi-square goodness-of-fit test of the observed split against the planned one.
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import { chiSquareSf } from '../stats/distributions.js';

/** Flag threshold: a p-value below it means assignment is broken (Fabijan et al., KDD 2019, use 0.0005–0.001). */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  observed: number[];
  expected: number[];
  chiSquare: number;
  df: number;
  pValue: number;
  /** True when pValue < threshold: the arms' sizes are implausible under the planned split. */
  mismatch: boolean;
  threshold: number;
}

/**
 * Pearson's chi-square goodness of fit, Σ (O − E)² / E with k − 1 df, where E splits the total by
 * `weights` (any positive numbers; normalised here). With no observations there is no evidence:
 * chi-square 0, p-value 1, no mismatch.
 */
export function sampleRatioMismatch(
  observed: number[],
  weights: number[],
  threshold = SRM_THRESHOLD,
): SrmResult {
  const issues: FieldIssue[] = [];
  if (observed.length < 2) issues.push({ path: 'observed', message: 'needs at least two arms' });
  if (weights.length !== observed.length)
    issues.push({
      path: 'weights',
      message: `needs one weight per arm (${observed.length}), got ${weights.length}`,
    });
  observed.forEach((o, i) => {
    if (!(Number.isInteger(o) && o >= 0))
      issues.push({ path: `observed.${i}`, message: `must be a whole number ≥ 0, got ${o}` });
  });
  weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w > 0))
      issues.push({ path: `weights.${i}`, message: `must be a number > 0, got ${w}` });
  });
  if (!(threshold > 0 && threshold < 1))
    issues.push({ path: 'threshold', message: `must be strictly between 0 and 1, got ${threshold}` });
  if (issues.length > 0) throw BatonError.invalid(issues);

  const total = observed.reduce((s, o) => s + o, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  const df = observed.length - 1;
  if (total === 0) return { observed, expected, chiSquare: 0, df, pValue: 1, mismatch: false, threshold };
  let chiSquare = 0;
  observed.forEach((o, i) => {
    const e = expected[i]!;
    chiSquare += ((o - e) * (o - e)) / e;
  });
  const pValue = chiSquareSf(chiSquare, df);
  return { observed, expected, chiSquare, df, pValue, mismatch: pValue < threshold, threshold };
}
