import { describe, expect, it } from 'vitest';
import { poissonInterval, weightedPoissonInterval } from './poisson.js';

describe('poissonInterval (Garwood exact limits)', () => {
  // epitools::pois.exact documentation: "When x = 0, for the upper confidence limit pois.exact returns 3.689".
  it('x = 0 → [0, 3.689]', () => {
    const r = poissonInterval(0);
    expect(r.lower).toBe(0);
    expect(r.upper).toBeCloseTo(3.689, 3);
  });

  // Exact Poisson limits as tabulated (Garwood 1936; e.g. the Garwood-method calculator at
  // calculatorhub.com: "For k = 10 the 95 percent interval is approximately 4.80 to 18.39").
  it('x = 10 → [4.80, 18.39]', () => {
    const r = poissonInterval(10);
    expect(r.lower).toBeCloseTo(4.8, 2);
    expect(r.upper).toBeCloseTo(18.39, 2);
  });

  it('contains the count and narrows relative to it as the count grows', () => {
    for (const x of [1, 5, 50, 5000]) {
      const r = poissonInterval(x);
      expect(r.lower).toBeLessThan(x);
      expect(r.upper).toBeGreaterThan(x);
    }
    const small = poissonInterval(10);
    const big = poissonInterval(10_000);
    expect((big.upper - big.lower) / 10_000).toBeLessThan((small.upper - small.lower) / 10);
  });
});

describe('weightedPoissonInterval (Fay & Feuer 1997)', () => {
  // With every weight 1 (y = v = 10, w_M = 1) the formulas are Garwood's: lower = 10/20 · χ²(0.025; 20),
  // upper = 11/22 · χ²(0.975; 22), i.e. the tabulated 4.80 to 18.39 above.
  it('is Garwood for unit weights', () => {
    const r = weightedPoissonInterval(10, 10, 1);
    expect(r.lower).toBeCloseTo(4.8, 2);
    expect(r.upper).toBeCloseTo(18.39, 2);
  });

  // Ten events of 250 each: y = 2500, v = 625,000, w_M = 250 give v/(2y) = 125 and the same degrees of
  // freedom (20 and 22), so the limits are 250 × [4.80, 18.39].
  it('scales with the weights', () => {
    const r = weightedPoissonInterval(2500, 625_000, 250);
    expect(r.lower / 250).toBeCloseTo(4.8, 2);
    expect(r.upper / 250).toBeCloseTo(18.39, 2);
  });

  it('has no upper limit without an event to size it', () => {
    expect(weightedPoissonInterval(0, 0, 0)).toEqual({ lower: 0, upper: Number.POSITIVE_INFINITY });
  });
});
