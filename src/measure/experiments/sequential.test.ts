import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { meanMoments, rateMoments } from './arms.js';
import { relativeLift } from './relative-lift.js';
import { confidenceSequence, sequentialRho } from './sequential.js';

describe('confidenceSequence (Waudby-Smith et al. asymptotic CS, as GrowthBook)', () => {
  // GrowthBook gbstats tests/frequentist/test_tests.py::TestSequentialTTest::test_sequential_test_runs_prop:
  // ProportionStatistic(1396, 3000) vs (2422, 3461), default config (alpha 0.05, tuning 5000, relative)
  // → expected 0.50386, ci (0.40098, 0.60675), uplift stddev 0.03386, pValue 0.0.
  it('matches GrowthBook SequentialTwoSidedTTest on proportions', () => {
    const lift = relativeLift(
      rateMoments({ conversions: 1396, n: 3000 }),
      rateMoments({ conversions: 2422, n: 3461 }),
    )!;
    expect(lift.estimate).toBeCloseTo(0.50386, 5);
    expect(lift.standardError).toBeCloseTo(0.03386, 5);
    const cs = confidenceSequence(lift.estimate, lift.standardError, 3000 + 3461);
    expect(cs.interval.lower).toBeCloseTo(0.40098, 5);
    expect(cs.interval.upper).toBeCloseTo(0.60675, 4);
    expect(cs.pValue).toBeCloseTo(0, 5);
    expect(cs.conclusive).toBe(true);
  });

  // Same file, test_sequential_test_runs: SampleMeanStatistic(1396.87, 52377.9767, 3000) vs
  // (2422.7, 134698.29, 3461), sequential_tuning_parameter = 1000
  // → expected 0.50336, ci (-0.55844, 1.56516), stddev 0.33341, pValue 1.
  it('matches GrowthBook SequentialTwoSidedTTest on means with tuning 1000', () => {
    const lift = relativeLift(
      meanMoments({ n: 3000, sum: 1396.87, sumSquares: 52377.9767 }),
      meanMoments({ n: 3461, sum: 2422.7, sumSquares: 134698.29 }),
    )!;
    expect(lift.estimate).toBeCloseTo(0.50336, 5);
    expect(lift.standardError).toBeCloseTo(0.33341, 5);
    const cs = confidenceSequence(lift.estimate, lift.standardError, 6461, { tuning: 1000 });
    expect(cs.interval.lower).toBeCloseTo(-0.55844, 5);
    expect(cs.interval.upper).toBeCloseTo(1.56516, 5);
    expect(cs.pValue).toBe(1);
    expect(cs.conclusive).toBe(false);
  });

  // ρ per Waudby-Smith et al. eq. 161; GrowthBook's test_sequential_rho recomputes the same expression.
  it('computes rho from alpha and N', () => {
    const la = Math.log(0.05);
    expect(sequentialRho(0.05, 5000)).toBeCloseTo(Math.sqrt((-2 * la + Math.log(-2 * la + 1)) / 5000), 14);
  });

  it('is wider than the fixed-horizon interval (the price of peeking)', () => {
    const cs = confidenceSequence(0.1, 0.02, 10_000);
    expect(cs.interval.upper - cs.estimate).toBeGreaterThan(1.96 * 0.02);
  });

  it('returns the point with p = 1 when there is no variation yet', () => {
    expect(confidenceSequence(0, 0, 10)).toMatchObject({
      pValue: 1,
      conclusive: false,
      interval: { lower: 0, upper: 0 },
    });
  });

  it('rejects bad settings', () => {
    expect(() => confidenceSequence(0.1, 0.1, 100, { tuning: 0 })).toThrow(BatonError);
    expect(() => confidenceSequence(0.1, 0.1, 100, { alpha: 1 })).toThrow(BatonError);
    expect(() => confidenceSequence(0.1, 0.1, 0)).toThrow(BatonError);
  });

  it('property: p-value in [0, 1], interval contains the estimate', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 1e-6, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (estimate, se, n) => {
          const cs = confidenceSequence(estimate, se, n);
          expect(cs.pValue).toBeGreaterThanOrEqual(0);
          expect(cs.pValue).toBeLessThanOrEqual(1);
          expect(cs.interval.lower).toBeLessThanOrEqual(estimate);
          expect(cs.interval.upper).toBeGreaterThanOrEqual(estimate);
        },
      ),
    );
  });
});
