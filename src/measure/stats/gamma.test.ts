import { describe, expect, it } from 'vitest';
import { logBeta, logGamma } from './gamma.js';

describe('logGamma (Lanczos, g = 7)', () => {
  // Exact values: Γ(n) = (n − 1)! and Γ(1/2) = √π, Γ(3/2) = √π / 2 (DLMF 5.4.1 and 5.4.6).
  it.each([
    [1, 0],
    [2, 0],
    [3, Math.log(2)],
    [10, Math.log(362880)],
    [21, Math.log(2432902008176640000)],
    [0.5, 0.5 * Math.log(Math.PI)],
    [1.5, 0.5 * Math.log(Math.PI) - Math.log(2)],
  ])('ln Γ(%s) = %s', (x, expected) => {
    expect(logGamma(x)).toBeCloseTo(expected, 12);
  });

  // ln Γ(100) = ln(99!) = 359.1342053695753987760440… (OEIS A000142 gives 99!; value as tabulated
  // in Abramowitz & Stegun's factorial table, 99! = 9.33262154439441e155).
  it('ln Γ(100) matches ln(99!)', () => {
    expect(logGamma(100)).toBeCloseTo(Math.log(9.33262154439441e155), 9);
  });

  // Γ(0.1) = 9.513507698668731836… (DLMF table / A&S Table 6.1 via Γ(1.1) = 0.9513507699).
  it('uses the reflection formula below 1/2', () => {
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 12);
  });

  it('rejects non-positive arguments', () => {
    expect(() => logGamma(0)).toThrow(RangeError);
    expect(() => logGamma(-1)).toThrow(RangeError);
  });

  // B(a, b) = Γ(a)Γ(b)/Γ(a + b): B(2, 3) = 1/12, B(1/2, 1/2) = π (DLMF 5.12.1).
  it.each([
    [2, 3, Math.log(1 / 12)],
    [0.5, 0.5, Math.log(Math.PI)],
    [1, 7, Math.log(1 / 7)],
  ])('ln B(%s, %s)', (a, b, expected) => {
    expect(logBeta(a, b)).toBeCloseTo(expected, 12);
  });
});
