// Exact (Garwood) confidence interval for a Poisson mean, and its gamma generalisation to a weighted sum.
import { chiSquareQuantile } from './distributions.js';

/**
 * Garwood (1936), "Fiducial limits for the Poisson distribution", Biometrika 28:437–442:
 *   lower = χ²(α/2; 2x) / 2 (0 when x = 0),  upper = χ²(1 − α/2; 2x + 2) / 2.
 * x is a count of events. A money total is not a count: use `weightedPoissonInterval`.
 */
export function poissonInterval(x: number, alpha = 0.05): { lower: number; upper: number } {
  const lower = x > 0 ? chiSquareQuantile(alpha / 2, 2 * x) / 2 : 0;
  const upper = chiSquareQuantile(1 - alpha / 2, 2 * x + 2) / 2;
  return { lower, upper };
}

/**
 * Interval for the mean of a weighted sum of Poisson events, y = Σ wᵢ (one term per event, wᵢ > 0,
 * e.g. deal values), by Fay & Feuer (1997), "Confidence intervals for directly standardized rates: a
 * method based on the gamma distribution", Statistics in Medicine 16:791–801. With v = Σ wᵢ² (the
 * compound Poisson variance estimate, Var(Σ) = λ E[W²]) and w_M the largest weight:
 *   lower = v / (2y) · χ²(α/2; 2y² / v)                       (0 when y = 0)
 *   upper = (v + w_M²) / (2(y + w_M)) · χ²(1 − α/2; 2(y + w_M)² / (v + w_M²))
 * With every weight 1 this is Garwood's interval for the count; multiplying every weight by c
 * multiplies both limits by c (the currency unit does not matter). With no event (`maxWeight` 0) there
 * is no scale for the upper limit: it is Infinity.
 */
export function weightedPoissonInterval(
  sum: number,
  sumOfSquares: number,
  maxWeight: number,
  alpha = 0.05,
): { lower: number; upper: number } {
  if (!(maxWeight > 0 && sumOfSquares > 0)) return { lower: 0, upper: Number.POSITIVE_INFINITY };
  const lower =
    sum > 0 ? (sumOfSquares / (2 * sum)) * chiSquareQuantile(alpha / 2, (2 * sum * sum) / sumOfSquares) : 0;
  const vUp = sumOfSquares + maxWeight * maxWeight;
  const yUp = sum + maxWeight;
  const upper = (vUp / (2 * yUp)) * chiSquareQuantile(1 - alpha / 2, (2 * yUp * yUp) / vUp);
  return { lower, upper };
}
