import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanMoments, rateMoments } from './arms.js';
import { relativeLift } from './relative-lift.js';

describe('relativeLift (delta method)', () => {
  // GrowthBook gbstats tests/frequentist/test_tests.py::test_two_sided_ttest (relative):
  // A = (sum 1396.87, sum_squares 52377.9767, n 3407), B = (2422.7, 134698.29, 3461)
  // → expected 0.70732, ci (-0.03526, 1.44989), uplift stddev 0.37879, pValue 0.06191.
  it('matches GrowthBook TwoSidedTTest (relative, means)', () => {
    const r = relativeLift(
      meanMoments({ n: 3407, sum: 1396.87, sumSquares: 52377.9767 }),
      meanMoments({ n: 3461, sum: 2422.7, sumSquares: 134698.29 }),
    )!;
    expect(r.estimate).toBeCloseTo(0.70732, 5);
    expect(r.standardError).toBeCloseTo(0.37879, 5);
    expect(r.interval.lower).toBeCloseTo(-0.03526, 5);
    expect(r.interval.upper).toBeCloseTo(1.44989, 5);
    expect(r.pValue).toBeCloseTo(0.06191, 5);
  });

  // Same file, test_two_sided_ttest_binom: ProportionStatistic(14, 28) vs (16, 30)
  // → expected 0.06667, ci (-0.47767, 0.61101), stddev 0.2717, pValue 0.80707.
  it('matches GrowthBook TwoSidedTTest (relative, proportions)', () => {
    const r = relativeLift(rateMoments({ conversions: 14, n: 28 }), rateMoments({ conversions: 16, n: 30 }))!;
    expect(r.estimate).toBeCloseTo(0.06667, 5);
    expect(r.standardError).toBeCloseTo(0.2717, 4);
    expect(r.interval.lower).toBeCloseTo(-0.47767, 5);
    expect(r.interval.upper).toBeCloseTo(0.61101, 5);
    expect(r.pValue).toBeCloseTo(0.80707, 5);
  });

  it('is null when the control mean is 0 (a relative change from nothing is undefined)', () => {
    expect(
      relativeLift(rateMoments({ conversions: 0, n: 100 }), rateMoments({ conversions: 3, n: 100 })),
    ).toBeNull();
  });

  it('property: p-value in [0, 1] and the interval contains the estimate', () => {
    const arm = fc
      .integer({ min: 2, max: 100_000 })
      .chain((n) => fc.record({ n: fc.constant(n), conversions: fc.integer({ min: 1, max: n }) }));
    fc.assert(
      fc.property(arm, arm, (c, t) => {
        const r = relativeLift(rateMoments(c), rateMoments(t))!;
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(r.interval.lower).toBeLessThanOrEqual(r.estimate);
        expect(r.interval.upper).toBeGreaterThanOrEqual(r.estimate);
      }),
    );
  });
});
