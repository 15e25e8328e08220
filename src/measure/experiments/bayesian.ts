// Exact Bayesian comparison of two conversion rates with Beta posteriors: chance to beat and expected loss.
import { BatonError } from '../../domain/errors.js';
import { betaLogCdf, betaLogPdf, betaQuantile, clampProbability } from '../stats/distributions.js';
import { logBeta } from '../stats/gamma.js';
import { assertRateArms, type RateArm } from './arms.js';

/** A Beta(alpha, beta) distribution. */
export interface BetaParams {
  alpha: number;
  beta: number;
}

/**
 * P(X_B > X_A) for independent X_A ~ Beta(αA, βA), X_B ~ Beta(αB, βB), by Evan Miller's closed form
 * ("Formulas for Bayesian A/B Testing", 2015):
 *   P = Σ_{i=0}^{αB−1} B(αA+i, βA+βB) / ((βB+i) B(1+i, βB) B(αA, βA)).
 * Needs an integer αB (or, through P(B>A) = 1 − P(A>B), an integer αA); the sum runs over the
 * smaller one. Consecutive terms have the ratio (αA+i)(βB+i) / ((αA+βA+βB+i)(1+i)), so each term
 * costs O(1); the sum starts at the largest term and stops where the rest is negligible, in log
 * space (no underflow, and about √n terms instead of n for large counts).
 */
export function probabilityBBeatsA(a: BetaParams, b: BetaParams): number {
  assertBeta(a, 'a');
  assertBeta(b, 'b');
  const aInt = Number.isInteger(a.alpha);
  const bInt = Number.isInteger(b.alpha);
  if (!aInt && !bInt)
    throw BatonError.invalid([
      { path: 'alpha', message: 'the exact formula needs a whole-number alpha on at least one side' },
    ]);
  if (bInt && (!aInt || b.alpha <= a.alpha)) return millerSum(a, b);
  return clampProbability(1 - millerSum(b, a));
}

function millerSum(a: BetaParams, b: BetaParams): number {
  const s = a.alpha + a.beta + b.beta;
  const last = b.alpha - 1; // terms i = 0 … αB − 1
  // term_{i+1} / term_i = (αA+i)(βB+i) / ((s+i)(1+i)); it is ≥ 1 exactly while
  // αA·βB − s − i(βA + 1) ≥ 0, so the terms rise to one peak and then fall.
  const logRatio = (i: number) => Math.log(((a.alpha + i) * (b.beta + i)) / ((s + i) * (1 + i)));
  const crossing = (a.alpha * b.beta - s) / (a.beta + 1);
  const peak = crossing < 0 ? 0 : Math.min(last, Math.floor(crossing) + 1);
  const logPeak =
    logBeta(a.alpha + peak, a.beta + b.beta) -
    Math.log(b.beta + peak) -
    logBeta(1 + peak, b.beta) -
    logBeta(a.alpha, a.beta);
  // Sum outwards from the peak; each side is monotone, so once a term is below e^-50 of the peak
  // the rest of that side (at most αB terms) adds less than 1e-13 relative: stop there.
  const NEGLIGIBLE = -50;
  let scaled = 1;
  let logTerm = 0;
  for (let i = peak; i < last; i++) {
    logTerm += logRatio(i);
    if (logTerm < NEGLIGIBLE) break;
    scaled += Math.exp(logTerm);
  }
  logTerm = 0;
  for (let i = peak - 1; i >= 0; i--) {
    logTerm -= logRatio(i);
    if (logTerm < NEGLIGIBLE) break;
    scaled += Math.exp(logTerm);
  }
  return clampProbability(Math.exp(logPeak + Math.log(scaled)));
}

export interface ExpectedLoss {
  /** E[max(X_B − X_A, 0)]: the rate given up, on average, by choosing A. */
  choosingA: number;
  /** E[max(X_A − X_B, 0)]: the rate given up, on average, by choosing B. */
  choosingB: number;
}

/**
 * Expected loss in closed form (Stucchio, "Bayesian A/B Testing at VWO", 2015, §5): with x·Beta(α,β)
 * density = mean · Beta(α+1, β) density,
 *   E[max(B − A, 0)] = E[B]·P(Beta(αB+1, βB) > A) − E[A]·P(B > Beta(αA+1, βA)),
 * and E[max(A − B, 0)] = E[max(B − A, 0)] − (E[B] − E[A]).
 */
export function expectedLoss(a: BetaParams, b: BetaParams): ExpectedLoss {
  const meanA = a.alpha / (a.alpha + a.beta);
  const meanB = b.alpha / (b.alpha + b.beta);
  const choosingA =
    meanB * probabilityBBeatsA(a, { alpha: b.alpha + 1, beta: b.beta }) -
    meanA * probabilityBBeatsA({ alpha: a.alpha + 1, beta: a.beta }, b);
  const lossA = Math.max(0, choosingA);
  return { choosingA: lossA, choosingB: Math.max(0, lossA - (meanB - meanA)) };
}

/**
 * P(arm j has the highest rate) for every arm, with independent Beta posteriors:
 *   P_j = ∫ f_j(x) Π_{i≠j} F_i(x) dx,
 * integrated by composite Simpson's rule over arm j's own mass (its 1e-12 and 1 − 1e-12 quantiles,
 * 2,000 panels), so even very concentrated posteriors get hundreds of points per standard
 * deviation. Deterministic, unlike Monte Carlo. Needs α, β ≥ 1 (the posteriors of a Beta(1, 1) prior),
 * where the integrand is bounded.
 */
export function chanceToBeBest(arms: BetaParams[]): number[] {
  arms.forEach((p, i) => {
    assertBeta(p, `arms.${i}`);
    if (p.alpha < 1 || p.beta < 1)
      throw BatonError.invalid([
        { path: `arms.${i}`, message: 'chance to be best needs alpha and beta ≥ 1' },
      ]);
  });
  if (arms.length < 2) return arms.map(() => 1);
  const PANELS = 2000; // even
  return arms.map((own, j) => {
    const lo = betaQuantile(1e-12, own.alpha, own.beta);
    const hi = betaQuantile(1 - 1e-12, own.alpha, own.beta);
    const h = (hi - lo) / PANELS;
    const integrand = (x: number) => {
      let log = betaLogPdf(x, own.alpha, own.beta);
      for (let i = 0; i < arms.length && log > -745; i++)
        if (i !== j) log += betaLogCdf(x, arms[i]!.alpha, arms[i]!.beta);
      return log > -745 ? Math.exp(log) : 0;
    };
    let sum = integrand(lo) + integrand(hi);
    for (let k = 1; k < PANELS; k++) sum += (k % 2 === 1 ? 4 : 2) * integrand(lo + k * h);
    return clampProbability((sum * h) / 3);
  });
}

export interface BayesianRateResult {
  prior: BetaParams;
  controlPosterior: BetaParams;
  treatmentPosterior: BetaParams;
  /** P(treatment rate > control rate | data). */
  chanceToBeatControl: number;
  /** Expected conversion rate lost by shipping the treatment if it is in fact worse. */
  expectedLossTreatment: number;
  /** Expected conversion rate lost by keeping the control if the treatment is in fact better. */
  expectedLossControl: number;
}

/** Beta-binomial model per arm with a shared Beta prior (default the uniform Beta(1, 1)). */
export function bayesianRates(
  control: RateArm,
  treatment: RateArm,
  prior: BetaParams = { alpha: 1, beta: 1 },
): BayesianRateResult {
  assertRateArms([
    [control, 'control'],
    [treatment, 'treatment'],
  ]);
  assertBeta(prior, 'prior');
  const controlPosterior = {
    alpha: prior.alpha + control.conversions,
    beta: prior.beta + control.n - control.conversions,
  };
  const treatmentPosterior = {
    alpha: prior.alpha + treatment.conversions,
    beta: prior.beta + treatment.n - treatment.conversions,
  };
  const loss = expectedLoss(controlPosterior, treatmentPosterior);
  return {
    prior,
    controlPosterior,
    treatmentPosterior,
    chanceToBeatControl: probabilityBBeatsA(controlPosterior, treatmentPosterior),
    expectedLossTreatment: loss.choosingB,
    expectedLossControl: loss.choosingA,
  };
}

function assertBeta(p: BetaParams, path: string): void {
  const bad = (x: number) => !(Number.isFinite(x) && x > 0);
  if (bad(p.alpha) || bad(p.beta))
    throw BatonError.invalid([
      { path, message: `Beta parameters must be finite and > 0, got (${p.alpha}, ${p.beta})` },
    ]);
}
