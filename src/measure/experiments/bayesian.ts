// Exact Bayesian comparison of two conversion rates with Beta posteriors: chance to beat and expected loss.
import { BatonError } from '../../domain/errors.js';
import { clampProbability } from '../stats/distributions.js';
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
 * costs O(1) and the sum is accumulated in log space (no underflow for large counts).
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
  // log of the i = 0 term: B(αA, βA+βB) / (βB · B(1, βB) · B(αA, βA)) with B(1, βB) = 1/βB.
  let logTerm = logBeta(a.alpha, a.beta + b.beta) - logBeta(a.alpha, a.beta);
  let maxLog = logTerm;
  let scaled = 1; // Σ exp(logTerm_i − maxLog)
  const s = a.alpha + a.beta + b.beta;
  for (let i = 0; i < b.alpha - 1; i++) {
    logTerm += Math.log(((a.alpha + i) * (b.beta + i)) / ((s + i) * (1 + i)));
    if (logTerm > maxLog) {
      scaled = scaled * Math.exp(maxLog - logTerm) + 1;
      maxLog = logTerm;
    } else scaled += Math.exp(logTerm - maxLog);
  }
  return clampProbability(Math.exp(maxLog + Math.log(scaled)));
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
