// Always-valid inference: asymptotic confidence sequences that stay valid under continuous peeking.
import { BatonError } from '../../domain/errors.js';
import { clampProbability } from '../stats/distributions.js';
import { assertAlpha, type Interval } from './arms.js';

/** Default N, the total sample size around which the sequence is tightest (GrowthBook's default). */
export const DEFAULT_TUNING = 5000;

export interface SequentialOptions {
  alpha?: number;
  /** Tuning parameter N > 0 (see DEFAULT_TUNING). */
  tuning?: number;
}

export interface SequentialResult {
  estimate: number;
  /** Confidence sequence at level 1 − alpha: covers the true effect at every look, simultaneously. */
  interval: Interval;
  /** Always-valid p-value: min(1, 1 / e-value); P(ever ≤ alpha | no effect) ≤ alpha. */
  pValue: number;
  /** True when the sequence excludes 0 (a conclusive result under continuous monitoring). */
  conclusive: boolean;
  alpha: number;
  tuning: number;
}

/**
 * Mixing parameter ρ for the tuning N (Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas,
 * "Time-uniform central limit theory and asymptotic confidence sequences", 2023, eq. 161):
 *   ρ = √((−2 ln α + ln(−2 ln α + 1)) / N).
 */
export function sequentialRho(alpha: number, tuning: number): number {
  const la = Math.log(alpha);
  return Math.sqrt((-2 * la + Math.log(-2 * la + 1)) / tuning);
}

/**
 * Two-sided asymptotic confidence sequence for an effect with standard error `standardError`
 * estimated from `n` observations in total (both arms), as GrowthBook's `SequentialTwoSidedTTest`:
 *   half-width = √(s²) √(2(nρ² + 1) / (n²ρ²) · ln(√(nρ² + 1) / α)),  s² = SE² · n   (ibid., eq. 9)
 * and the always-valid p-value from the e-value (ibid., eq. 155):
 *   E = exp(ρ² S² / (2(nρ² + 1))) / √(nρ² + 1),  S² = estimate² · n / SE².
 */
export function confidenceSequence(
  estimate: number,
  standardError: number,
  n: number,
  options: SequentialOptions = {},
): SequentialResult {
  const alpha = options.alpha ?? 0.05;
  const tuning = options.tuning ?? DEFAULT_TUNING;
  assertAlpha(alpha);
  if (!(Number.isFinite(tuning) && tuning > 0))
    throw BatonError.invalid([{ path: 'tuning', message: `must be a number > 0, got ${tuning}` }]);
  if (!(Number.isFinite(n) && n >= 1))
    throw BatonError.invalid([{ path: 'n', message: `must be at least 1, got ${n}` }]);
  if (!(standardError > 0)) {
    // No variation observed yet: the sequence is just the point and nothing can be concluded.
    return {
      estimate,
      interval: { lower: estimate, upper: estimate },
      pValue: 1,
      conclusive: false,
      alpha,
      tuning,
    };
  }
  const rho = sequentialRho(alpha, tuning);
  const nr2p1 = n * rho * rho + 1;
  const s2 = standardError * standardError * n;
  const half =
    Math.sqrt(s2) * Math.sqrt(((2 * nr2p1) / (n * n * rho * rho)) * Math.log(Math.sqrt(nr2p1) / alpha));
  const st2 = (estimate * estimate * n) / (standardError * standardError);
  const logE = (rho * rho * st2) / (2 * nr2p1) - 0.5 * Math.log(nr2p1);
  const pValue = clampProbability(Math.exp(-logE));
  const interval = { lower: estimate - half, upper: estimate + half };
  return {
    estimate,
    interval,
    pValue,
    conclusive: interval.lower > 0 || interval.upper < 0,
    alpha,
    tuning,
  };
}
