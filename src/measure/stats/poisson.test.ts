import { describe, expect, it } from 'vitest';
import { poissonInterval } from './poisson.js';

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
