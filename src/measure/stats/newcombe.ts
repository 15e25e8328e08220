// Score-based intervals for proportions: Wilson's interval for one proportion and Newcombe's hybrid score
// interval ("method 10") for the difference of two independent proportions. Holdouts are small and often
// see few or no conversions, where the Wald interval collapses to a point; these do not.
import { normalQuantile } from './distributions.js';

export interface Interval {
  lower: number;
  upper: number;
}

/** Wilson (1927) score interval for x successes out of n (n > 0). */
export function wilsonInterval(x: number, n: number, alpha = 0.05): Interval {
  const z = normalQuantile(1 - alpha / 2);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison
 * of eleven methods", Statistics in Medicine 17:873–890, method 10: for d = p1 − p2 with Wilson limits
 * (l1, u1) and (l2, u2), L = d − √((p1 − l1)² + (u2 − p2)²) and U = d + √((u1 − p1)² + (p2 − l2)²).
 */
export function newcombeDifference(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alpha = 0.05,
): Interval & { estimate: number } {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const a = wilsonInterval(x1, n1, alpha);
  const b = wilsonInterval(x2, n2, alpha);
  const d = p1 - p2;
  return {
    estimate: d,
    lower: Math.max(-1, d - Math.sqrt((p1 - a.lower) ** 2 + (b.upper - p2) ** 2)),
    upper: Math.min(1, d + Math.sqrt((a.upper - p1) ** 2 + (p2 - b.lower) ** 2)),
  };
}
