import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { normalCdf } from '../stats/distributions.js';
import { bayesianRates, chanceToBeBest, expectedLoss, probabilityBBeatsA } from './bayesian.js';

const beta = (alpha: number, b: number) => ({ alpha, beta: b });

describe('probabilityBBeatsA (Evan Miller closed form)', () => {
  // ankane/field_test test/calculations_test.rb::test_prob_b_beats_a (Evan Miller's formula),
  // arguments (alpha_a, beta_a, alpha_b, beta_b), asserted to within 1e-10.
  it.each([
    [1, 2, 3, 4, 0.6428571428571429],
    [55, 50, 30, 30, 0.38386463776317903],
    [50, 50, 35, 30, 0.6867997222295887],
  ])('field_test: P(B > A) for Beta(%i,%i) vs Beta(%i,%i)', (aa, ba, ab, bb, expected) => {
    expect(Math.abs(probabilityBBeatsA(beta(aa, ba), beta(ab, bb)) - expected)).toBeLessThan(1e-10);
  });

  // guillermo-navas-palencia/cprior tests/test_beta.py: beta_cprior(a0, b0, a1, b1) = P(X1 > X0),
  // asserted with rel = 1e-8 (computed there with arbitrary precision).
  it.each([
    [10, 50, 60, 250, 0.70889192],
    [600, 550, 52, 60, 0.1223144258],
    [1000, 900, 1200, 1000, 0.8898254504],
    [1000, 900, 1200, 800, 0.9999982656],
    [100, 90, 100, 90, 0.5],
    [40, 60, 70, 90, 0.7262717462],
  ])('cprior: P(X1 > X0) for Beta(%i,%i) vs Beta(%i,%i)', (a0, b0, a1, b1, expected) => {
    expect(probabilityBBeatsA(beta(a0, b0), beta(a1, b1))).toBeCloseTo(expected, 8);
  });

  it('accepts a fractional alpha on one side by symmetry, and refuses two', () => {
    const p = probabilityBBeatsA(beta(2.5, 3), beta(3, 4));
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    expect(1 - probabilityBBeatsA(beta(3, 4), beta(2.5, 3))).toBeCloseTo(p, 12);
    expect(() => probabilityBBeatsA(beta(2.5, 3), beta(3.5, 4))).toThrow(BatonError);
  });

  it('stays finite for large counts and agrees with the normal approximation there', () => {
    // 2.00% vs 2.01% on 10 million each: the Beta posteriors are nearly normal, so P(B > A) ≈ Φ(Δ/sd).
    const a = beta(200_001, 9_800_001);
    const b = beta(201_001, 9_799_001);
    const moments = (p: { alpha: number; beta: number }) => {
      const s = p.alpha + p.beta;
      return [p.alpha / s, (p.alpha * p.beta) / (s * s * (s + 1))] as const;
    };
    const [ma, va] = moments(a);
    const [mb, vb] = moments(b);
    const approx = normalCdf((mb - ma) / Math.sqrt(va + vb));
    const p = probabilityBBeatsA(a, b);
    expect(Math.abs(p - approx)).toBeLessThan(0.002);
  });
  it('sums only the terms that matter: 50 million conversions per arm in milliseconds, not minutes', () => {
    const started = performance.now();
    const p = probabilityBBeatsA(beta(50_000_001, 450_000_001), beta(50_010_001, 449_990_001));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(p).toBeGreaterThan(0.5);
    expect(p).toBeLessThan(1);
  });
});

describe('expectedLoss', () => {
  // cprior tests/test_beta.py::test_beta_ab_expected_loss: A = Beta(40, 60), B = Beta(70, 90):
  // expected_loss(variant "A") = 0.0481119843, (variant "B") = 0.0106119843, rel = 1e-8.
  it('matches cprior exact expected loss', () => {
    const loss = expectedLoss(beta(40, 60), beta(70, 90));
    expect(loss.choosingA).toBeCloseTo(0.0481119843, 9);
    expect(loss.choosingB).toBeCloseTo(0.0106119843, 9);
  });
});

describe('bayesianRates', () => {
  it('builds Beta(1 + conversions, 1 + non-conversions) posteriors', () => {
    // With a uniform prior, 39/99 vs 69/159 conversions give exactly cprior's Beta(40, 60) vs Beta(70, 90).
    const r = bayesianRates({ conversions: 39, n: 98 }, { conversions: 69, n: 158 });
    expect(r.controlPosterior).toEqual(beta(40, 60));
    expect(r.treatmentPosterior).toEqual(beta(70, 90));
    expect(r.chanceToBeatControl).toBeCloseTo(0.7262717462, 8);
    expect(r.expectedLossTreatment).toBeCloseTo(0.0106119843, 9);
    expect(r.expectedLossControl).toBeCloseTo(0.0481119843, 9);
  });

  it('rejects bad counts and priors', () => {
    expect(() => bayesianRates({ conversions: 5, n: 4 }, { conversions: 1, n: 4 })).toThrow(BatonError);
    expect(() => bayesianRates({ conversions: 1, n: 4 }, { conversions: 1, n: 4 }, beta(0, 1))).toThrow(
      BatonError,
    );
  });

  it('property: probabilities in [0, 1], losses ≥ 0 and consistent with the means', () => {
    const arm = fc
      .integer({ min: 1, max: 3000 })
      .chain((n) => fc.record({ n: fc.constant(n), conversions: fc.integer({ min: 0, max: n }) }));
    fc.assert(
      fc.property(arm, arm, (c, t) => {
        const r = bayesianRates(c, t);
        expect(r.chanceToBeatControl).toBeGreaterThanOrEqual(0);
        expect(r.chanceToBeatControl).toBeLessThanOrEqual(1);
        expect(r.expectedLossControl).toBeGreaterThanOrEqual(0);
        expect(r.expectedLossTreatment).toBeGreaterThanOrEqual(0);
        const mean = (p: { alpha: number; beta: number }) => p.alpha / (p.alpha + p.beta);
        expect(r.expectedLossControl - r.expectedLossTreatment).toBeCloseTo(
          mean(r.treatmentPosterior) - mean(r.controlPosterior),
          9,
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('chanceToBeBest', () => {
  // cprior tests/test_beta.py::test_beta_ab_probability (exact, rel = 1e-8): Beta(40, 60) vs Beta(70, 90)
  // → P(A best) = 0.2737282537, P(B best) = 0.7262717462.
  it('agrees with the exact two-arm probability', () => {
    const [a, b] = chanceToBeBest([beta(40, 60), beta(70, 90)]);
    expect(a).toBeCloseTo(0.2737282537, 9);
    expect(b).toBeCloseTo(0.7262717462, 9);
  });

  // cprior tests/test_beta.py::test_beta_mv_probability_vs_all: A = Beta(40, 600), B = Beta(70, 900),
  // C = Beta(100, 1400) → probability_vs_all(B) = 0.6003181, asserted there with rel = 1e-2 (sampling methods).
  it('matches cprior probability_vs_all for three arms', () => {
    const [, b] = chanceToBeBest([beta(40, 600), beta(70, 900), beta(100, 1400)]);
    expect(Math.abs(b! - 0.6003181) / 0.6003181).toBeLessThan(1e-2);
  });

  it('sums to 1 and gives a single arm certainty', () => {
    const p = chanceToBeBest([beta(1, 2), beta(3, 4), beta(5, 6), beta(30, 40)]);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 8);
    expect(chanceToBeBest([beta(3, 4)])).toEqual([1]);
    expect(() => chanceToBeBest([beta(0.5, 4), beta(3, 4)])).toThrow(BatonError);
  });
});
