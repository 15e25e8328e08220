import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { sampleRatioMismatch } from './srm.js';

describe('sampleRatioMismatch (chi-square goodness of fit)', () => {
  // SciPy documentation of scipy.stats.chisquare:
  // chisquare([16, 18, 16, 14, 12, 12]) → (2.0, 0.84914503608460956)
  // chisquare([16, 18, 16, 14, 12, 12], f_exp=[16, 16, 16, 16, 16, 8]) → (3.5, 0.62338762774958223)
  it('matches scipy.stats.chisquare with a uniform split', () => {
    const r = sampleRatioMismatch([16, 18, 16, 14, 12, 12], [1, 1, 1, 1, 1, 1]);
    expect(r.chiSquare).toBeCloseTo(2.0, 12);
    expect(r.df).toBe(5);
    expect(r.pValue).toBeCloseTo(0.84914503608460956, 12);
    expect(r.mismatch).toBe(false);
  });

  it('matches scipy.stats.chisquare with given expected frequencies (as weights)', () => {
    const r = sampleRatioMismatch([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(r.chiSquare).toBeCloseTo(3.5, 12);
    expect(r.pValue).toBeCloseTo(0.62338762774958223, 12);
  });

  // R documentation of chisq.test: x <- c(A = 20, B = 15, C = 25); chisq.test(x)
  // → X-squared = 2.5, df = 2, p-value = 0.2865.
  it('matches R chisq.test goodness of fit', () => {
    const r = sampleRatioMismatch([20, 15, 25], [1, 1, 1]);
    expect(r.chiSquare).toBeCloseTo(2.5, 12);
    expect(r.pValue).toBeCloseTo(0.2865, 4);
  });

  it('flags a broken 50/50 assignment below p = 0.001', () => {
    // 10,000 vs 10,400 on a planned 50/50 split: chi-square = 400²/10,200 ≈ 7.84 → p ≈ 0.005, no flag;
    // 10,000 vs 10,800: chi-square ≈ 30.8 → flagged.
    expect(sampleRatioMismatch([10_000, 10_400], [1, 1]).mismatch).toBe(false);
    expect(sampleRatioMismatch([10_000, 10_800], [1, 1]).mismatch).toBe(true);
  });

  it('returns no evidence when nobody is assigned yet', () => {
    expect(sampleRatioMismatch([0, 0], [1, 1])).toMatchObject({ chiSquare: 0, pValue: 1, mismatch: false });
  });

  it.each([
    [[10], [1]],
    [[10, 10], [1]],
    [
      [10, -1],
      [1, 1],
    ],
    [
      [10, 10],
      [1, 0],
    ],
    [
      [10, 1.5],
      [1, 1],
    ],
  ])('rejects %o with weights %o', (observed, weights) => {
    expect(() => sampleRatioMismatch(observed, weights)).toThrow(BatonError);
  });
});
