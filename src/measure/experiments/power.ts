// Power, sample size and minimum detectable effect for comparing two proportions.
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import { normalCdf, normalQuantile } from '../stats/distributions.js';

// Everything here solves the normal-approximation power equation of R's `power.prop.test`
// (strict = FALSE; Fleiss, Levin & Paik, "Statistical Methods for Rates and Proportions", §4.2):
//   power = Φ((√n |p1 − p2| − z_{α/s} √((p1 + p2)(1 − (p1 + p2)/2))) / √(p1q1 + p2q2)),
// with n per group and s = 2 for a two-sided test.

export interface PowerOptions {
  alpha?: number;
  alternative?: 'two-sided' | 'one-sided';
}

function critical(options: PowerOptions): number {
  const alpha = options.alpha ?? 0.05;
  const sides = (options.alternative ?? 'two-sided') === 'two-sided' ? 2 : 1;
  return normalQuantile(1 - alpha / sides);
}

function check(values: Record<string, number | undefined>, options: PowerOptions): void {
  const issues: FieldIssue[] = [];
  for (const [path, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const isRate = path === 'p1' || path === 'p2';
    if (isRate && !(v >= 0 && v <= 1)) issues.push({ path, message: `must be a rate in [0, 1], got ${v}` });
    if (path === 'power' && !(v > 0 && v < 1)) issues.push({ path, message: `must be in (0, 1), got ${v}` });
    if (path === 'n' && !(Number.isFinite(v) && v > 0))
      issues.push({ path, message: `must be > 0, got ${v}` });
  }
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) issues.push({ path: 'alpha', message: `must be in (0, 1), got ${alpha}` });
  if (issues.length > 0) throw BatonError.invalid(issues);
}

/** Power of the two-proportion test with n contacts in each group. */
export function powerTwoProportions(p1: number, p2: number, n: number, options: PowerOptions = {}): number {
  check({ p1, p2, n }, options);
  const sdNull = Math.sqrt((p1 + p2) * (1 - (p1 + p2) / 2));
  const sdAlt = Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  if (sdAlt === 0) return p1 === p2 ? 0 : 1;
  return normalCdf((Math.sqrt(n) * Math.abs(p1 - p2) - critical(options) * sdNull) / sdAlt);
}

/**
 * Contacts needed in each group to reach `power`: the power equation solved for n in closed form,
 *   n = ((z_{α/s} √((p1 + p2)(1 − (p1 + p2)/2)) + z_power √(p1q1 + p2q2)) / |p1 − p2|)².
 * Infinity when p1 = p2 (no difference can be detected).
 */
export function sampleSizeTwoProportions(
  p1: number,
  p2: number,
  power = 0.8,
  options: PowerOptions = {},
): number {
  check({ p1, p2, power }, options);
  if (p1 === p2) return Number.POSITIVE_INFINITY;
  const sdNull = Math.sqrt((p1 + p2) * (1 - (p1 + p2) / 2));
  const sdAlt = Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  const root = (critical(options) * sdNull + normalQuantile(power) * sdAlt) / Math.abs(p1 - p2);
  return root * root;
}

export interface MinimumDetectableEffect {
  /** The smallest treatment rate above p1 detected with the requested power; null when even 1 is not enough. */
  p2: number | null;
  /** p2 − p1 */
  absolute: number | null;
  /** (p2 − p1) / p1; null when p1 = 0 */
  relative: number | null;
}

/** Smallest upward change from p1 detectable with n per group at `power` (bisection on p2 in (p1, 1]). */
export function minimumDetectableEffect(
  p1: number,
  n: number,
  power = 0.8,
  options: PowerOptions = {},
): MinimumDetectableEffect {
  check({ p1, n, power }, options);
  if (p1 >= 1 || powerTwoProportions(p1, 1, n, options) < power)
    return { p2: null, absolute: null, relative: null };
  let lo = p1;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (powerTwoProportions(p1, mid, n, options) >= power) hi = mid;
    else lo = mid;
  }
  return { p2: hi, absolute: hi - p1, relative: p1 > 0 ? (hi - p1) / p1 : null };
}
