import { describe, expect, it } from 'vitest';
import {
  chiSquareQuantile,
  chiSquareSf,
  clampProbability,
  normalQuantile,
  normalSf,
  tQuantile,
  tTwoSidedP,
  zTwoSidedP,
} from './distributions.js';

describe('distribution wrappers', () => {
  // Standard normal table values (Abramowitz & Stegun 26.2): Φ⁻¹(0.975) = 1.959963984540054.
  it('normal quantile and tails', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(zTwoSidedP(1.959963984540054)).toBeCloseTo(0.05, 12);
    // Φ(−10) = 7.619853024160527e-24 (A&S 26.2.12 asymptotic tail; keeps its digits as Φ(−x))
    expect(normalSf(10) / 7.619853024160527e-24).toBeCloseTo(1, 8);
  });

  // R: qt(0.975, 10) = 2.228139; 2 * pt(-2.228139, 10) = 0.05.
  it('t quantile and p-value, finite and infinite df', () => {
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
    expect(tTwoSidedP(2.228138851986, 10)).toBeCloseTo(0.05, 9);
    expect(tQuantile(0.975, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959963984540054, 12);
  });

  // R: qchisq(0.95, 1) = 3.841459; pchisq(3.841459, 1, lower.tail = FALSE) = 0.05.
  it('chi-square quantile and upper tail', () => {
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841459, 6);
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
  });

  it('clamps probabilities and maps NaN to 1', () => {
    expect(clampProbability(1.0000000001)).toBe(1);
    expect(clampProbability(-1e-18)).toBe(0);
    expect(clampProbability(Number.NaN)).toBe(1);
  });
});
