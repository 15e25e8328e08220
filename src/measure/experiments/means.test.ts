import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import type { MeanArm } from './arms.js';
import { welchTTest } from './means.js';

const sufficient = (xs: number[]): MeanArm => ({
  n: xs.length,
  sum: xs.reduce((s, x) => s + x, 0),
  sumSquares: xs.reduce((s, x) => s + x * x, 0),
});

describe('welchTTest', () => {
  // R's `sleep` data set (Cushny & Peebles 1905) and R's documented output of
  // t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939,
  // 95 percent confidence interval -3.3654832 0.2054832, means 0.75 and 2.33.
  const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it('matches R t.test on the sleep data', () => {
    const r = welchTTest(sufficient(group2), sufficient(group1));
    expect(r.treatmentMean).toBeCloseTo(0.75, 12);
    expect(r.controlMean).toBeCloseTo(2.33, 12);
    expect(r.t).toBeCloseTo(-1.8608, 4);
    expect(r.df).toBeCloseTo(17.776, 3);
    expect(r.pValue).toBeCloseTo(0.07939, 5);
    expect(r.interval.lower).toBeCloseTo(-3.3654832, 6);
    expect(r.interval.upper).toBeCloseTo(0.2054832, 6);
  });

  // GrowthBook gbstats tests/frequentist/test_tests.py::test_two_sided_ttest_absolute:
  // A = (sum 1396.87, sum_squares 52377.9767, n 3407), B = (2422.7, 134698.29, 3461)
  // → expected 0.29, ci (0.04538, 0.53462), stddev 0.12478, pValue 0.02016.
  it('matches GrowthBook TwoSidedTTest (absolute)', () => {
    const r = welchTTest(
      { n: 3407, sum: 1396.87, sumSquares: 52377.9767 },
      { n: 3461, sum: 2422.7, sumSquares: 134698.29 },
    );
    expect(r.difference).toBeCloseTo(0.29, 5);
    expect(r.standardError).toBeCloseTo(0.12478, 5);
    expect(r.interval.lower).toBeCloseTo(0.04538, 5);
    expect(r.interval.upper).toBeCloseTo(0.53462, 5);
    expect(r.pValue).toBeCloseTo(0.02016, 5);
  });

  it('returns a documented result when both arms are constant', () => {
    const r = welchTTest({ n: 5, sum: 0, sumSquares: 0 }, { n: 5, sum: 10, sumSquares: 20 });
    expect(r).toMatchObject({ standardError: 0, t: 0, pValue: 1, difference: 2 });
    expect(r.interval).toEqual({ lower: 2, upper: 2 });
  });

  it('handles one constant arm (df falls back to the other arm)', () => {
    const r = welchTTest({ n: 5, sum: 0, sumSquares: 0 }, sufficient([1, 2, 3, 4, 5]));
    expect(r.df).toBeCloseTo(4, 12);
    expect(Number.isNaN(r.pValue)).toBe(false);
  });

  it.each([
    [{ n: 1, sum: 1, sumSquares: 1 }, 'control.n'],
    [{ n: 0, sum: 0, sumSquares: 0 }, 'control.n'],
    [{ n: 10, sum: 10, sumSquares: 5 }, 'control.sumSquares'],
    [{ n: 10, sum: Number.NaN, sumSquares: 5 }, 'control.sum'],
  ])('rejects impossible sufficient statistics %o', (control, path) => {
    expect(() => welchTTest(control, { n: 3, sum: 3, sumSquares: 5 })).toThrow(BatonError);
    expect(() => welchTTest(control, { n: 3, sum: 3, sumSquares: 5 })).toThrow(path);
  });

  it('property: p-value in [0, 1] and the interval contains the difference', () => {
    const sample = fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), {
      minLength: 2,
      maxLength: 40,
    });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const r = welchTTest(sufficient(a), sufficient(b));
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(r.interval.lower).toBeLessThanOrEqual(r.difference + 1e-9);
        expect(r.interval.upper).toBeGreaterThanOrEqual(r.difference - 1e-9);
      }),
    );
  });
});
