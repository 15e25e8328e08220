// Exact (Garwood) confidence interval for a Poisson mean from an observed count.
import { chiSquareQuantile } from './distributions.js';

/**
 * Garwood (1936), "Fiducial limits for the Poisson distribution", Biometrika 28:437–442:
 *   lower = χ²(α/2; 2x) / 2 (0 when x = 0),  upper = χ²(1 − α/2; 2x + 2) / 2.
 * x may be fractional (the gamma form of the same limits) for value goals measured in money.
 */
export function poissonInterval(x: number, alpha = 0.05): { lower: number; upper: number } {
  const lower = x > 0 ? chiSquareQuantile(alpha / 2, 2 * x) / 2 : 0;
  const upper = chiSquareQuantile(1 - alpha / 2, 2 * x + 2) / 2;
  return { lower, upper };
}
