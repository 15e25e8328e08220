import { describe, expect, it } from 'vitest';
import { stepSchema } from '../../domain/campaign.js';
import { autoWinnerDecision } from './auto-winner.js';

const T = Date.UTC(2027, 0, 5, 9);
const timing = { firstSendAt: T - 86_400_000, decideAt: T, now: T };
const step = (weights: [number, number], fallback?: string) =>
  stepSchema.parse({
    id: 'intro',
    channel: 'email',
    variants: [
      { id: 'a', weight: weights[0] },
      { id: 'b', weight: weights[1] },
    ],
    test: { share: 0.2, decide_after: '1d', metric: 'clicked', ...(fallback ? { fallback } : {}) },
  });

describe('autoWinnerDecision', () => {
  // GrowthBook gbstats tests/frequentist/test_tests.py::TestSequentialTTest::test_sequential_test_runs_prop:
  // ProportionStatistic(1396, 3000) vs (2422, 3461), alpha 0.05, tuning 5000 → relative lift 0.50386 with the
  // sequential interval (0.40098, 0.60675): conclusive, the treatment wins.
  it('picks the variant the published sequential test calls a winner', () => {
    const d = autoWinnerDecision(
      'c',
      step([3000, 3461]),
      [
        { id: 'a', n: 3000, successes: 1396 },
        { id: 'b', n: 3461, successes: 2422 },
      ],
      timing,
    );
    expect(d).toMatchObject({ variantId: 'b', verdict: 'winner', decidedBy: 'sequential_test' });
    expect(d.comparisons[0]!.relativeLift).toBeCloseTo(0.50386, 5);
    expect(d.comparisons[0]!.difference).toBeCloseTo(2422 / 3461 - 1396 / 3000, 12);
    expect(d.comparisons[0]!.interval.lower).toBeGreaterThan(0);
  });

  // 100/1000 vs 110/1000: fixed-horizon z ≈ 0.73 (two-proportion z test, p ≈ 0.46), far from significant.
  it('sends the fallback when no variant is shown better by the decision time', () => {
    const d = autoWinnerDecision(
      'c',
      step([1, 1], 'b'),
      [
        { id: 'a', n: 1000, successes: 100 },
        { id: 'b', n: 1000, successes: 110 },
      ],
      timing,
    );
    expect(d).toMatchObject({ variantId: 'b', verdict: 'inconclusive', decidedBy: 'fallback' });
    expect(d.reason).toContain('not conclusive');
  });

  it('sends the control when no fallback is named and nothing was compared', () => {
    const d = autoWinnerDecision(
      'c',
      step([1, 1]),
      [
        { id: 'a', n: 0, successes: 0 },
        { id: 'b', n: 12, successes: 3 },
      ],
      timing,
    );
    expect(d).toMatchObject({ variantId: 'a', verdict: 'inconclusive', decidedBy: 'fallback' });
    expect(d.reason).toContain('fewer than two variants');
  });

  // The same published counts under a planned 1:1 split: 3000 vs 3461 is a sample-ratio mismatch
  // (χ² = 2·230.5²/3230.5 ≈ 32.9 on 1 df, p ≈ 1e-8), so no winner can be trusted and the fallback goes.
  it('refuses a winner when the split does not match the weights', () => {
    const d = autoWinnerDecision(
      'c',
      step([1, 1]),
      [
        { id: 'a', n: 3000, successes: 1396 },
        { id: 'b', n: 3461, successes: 2422 },
      ],
      timing,
    );
    expect(d).toMatchObject({ variantId: 'a', verdict: 'inconclusive', decidedBy: 'fallback' });
    expect(d.reason).toContain('sample ratio mismatch');
  });
});
