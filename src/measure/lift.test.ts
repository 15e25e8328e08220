import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { holdoutLift } from './lift.js';
import { newcombeDifference } from './stats/newcombe.js';

describe('holdoutLift', () => {
  // R prop.test(matrix(c(94, 39, 120, 89), 2), correct = FALSE) (influentialpoints.com, "Two-sample
  // test for independent proportions - using R"): treated 94/214, held out 39/128 → p-value = 0.01350.
  // The interval is Newcombe's hybrid score interval (tested against Newcombe 1998 in
  // stats/newcombe.test.ts), which is asymmetric and never collapses on a holdout with no conversions.
  it('absolute lift, incremental conversions and significance match R prop.test', () => {
    const r = holdoutLift({ treatment: { conversions: 94, n: 214 }, holdout: { conversions: 39, n: 128 } });
    expect(r.absoluteLift.estimate).toBeCloseTo(94 / 214 - 39 / 128, 12);
    const nc = newcombeDifference(94, 214, 39, 128);
    expect(r.absoluteLift.interval).toEqual({ lower: nc.lower, upper: nc.upper });
    // Incremental conversions = lift × 214 treated contacts, interval scaled the same way.
    expect(r.incrementalConversions.interval.lower).toBeCloseTo(nc.lower * 214, 8);
    expect(r.incrementalConversions.interval.upper).toBeCloseTo(nc.upper * 214, 8);
    expect(r.pValue).toBeCloseTo(0.0135, 4);
    expect(r.significant).toBe(true);
    expect(r.incrementalValue).toBeNull();
  });

  // GrowthBook gbstats test_two_sided_ttest_binom: (14/28) vs (16/30), relative →
  // expected 0.06667, ci (-0.47767, 0.61101), pValue 0.80707.
  it('relative lift matches GrowthBook delta-method interval', () => {
    const r = holdoutLift({ treatment: { conversions: 16, n: 30 }, holdout: { conversions: 14, n: 28 } });
    expect(r.relativeLift!.estimate).toBeCloseTo(0.06667, 5);
    expect(r.relativeLift!.interval.lower).toBeCloseTo(-0.47767, 5);
    expect(r.relativeLift!.interval.upper).toBeCloseTo(0.61101, 5);
    expect(r.significant).toBe(false);
  });

  // R t.test(extra ~ group, data = sleep): difference −1.58, 95% CI −3.3654832 0.2054832,
  // p-value = 0.07939. Value per contact of the treated = group 1, held out = group 2 (10 each).
  it('incremental value uses the Welch interval on value per contact (R t.test)', () => {
    const r = holdoutLift({
      treatment: { conversions: 5, n: 10 },
      holdout: { conversions: 5, n: 10 },
      treatmentValue: { sum: 7.5, sumSquares: 34.43 },
      holdoutValue: { sum: 23.3, sumSquares: 90.37 },
    });
    expect(r.incrementalValue!.estimate).toBeCloseTo(-15.8, 10);
    expect(r.incrementalValue!.interval.lower).toBeCloseTo(-33.654832, 5);
    expect(r.incrementalValue!.interval.upper).toBeCloseTo(2.054832, 5);
    expect(r.valuePValue).toBeCloseTo(0.07939, 5);
  });

  it('relative lift is null when the holdout converted nobody', () => {
    const r = holdoutLift({ treatment: { conversions: 4, n: 100 }, holdout: { conversions: 0, n: 10 } });
    expect(r.relativeLift).toBeNull();
  });

  it.each([
    [{ treatment: { conversions: 1, n: 10 }, holdout: { conversions: 0, n: 0 } }, 'holdout.n'],
    [{ treatment: { conversions: -1, n: 10 }, holdout: { conversions: 0, n: 10 } }, 'treatment.conversions'],
    [{ treatment: { conversions: 20, n: 10 }, holdout: { conversions: 0, n: 10 } }, 'treatment.conversions'],
    [
      {
        treatment: { conversions: 1, n: 10 },
        holdout: { conversions: 0, n: 10 },
        treatmentValue: { sum: 1, sumSquares: 1 },
      },
      'holdoutValue',
    ],
  ])('rejects bad input %#', (input, path) => {
    expect(() => holdoutLift(input)).toThrow(BatonError);
    expect(() => holdoutLift(input)).toThrow(path);
  });

  it('property: every interval contains its estimate, p-values in [0, 1], never NaN', () => {
    const arm = fc
      .integer({ min: 2, max: 200_000 })
      .chain((n) => fc.record({ n: fc.constant(n), conversions: fc.integer({ min: 0, max: n }) }));
    fc.assert(
      fc.property(arm, arm, fc.double({ min: 0, max: 500, noNaN: true }), (t, h, v) => {
        const r = holdoutLift({
          treatment: t,
          holdout: h,
          treatmentValue: { sum: t.conversions * v, sumSquares: t.conversions * v * v },
          holdoutValue: { sum: h.conversions * v, sumSquares: h.conversions * v * v },
        });
        const estimates = [
          r.absoluteLift,
          r.incrementalConversions,
          r.incrementalValue!,
          r.relativeLift,
        ].filter((e) => e !== null);
        for (const e of estimates) {
          expect(Number.isNaN(e.estimate)).toBe(false);
          expect(e.interval.lower).toBeLessThanOrEqual(e.estimate + 1e-9 * Math.max(1, Math.abs(e.estimate)));
          expect(e.interval.upper).toBeGreaterThanOrEqual(
            e.estimate - 1e-9 * Math.max(1, Math.abs(e.estimate)),
          );
        }
        for (const p of [r.pValue, r.valuePValue!]) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe('holdoutLift with a holdout that converted nobody', () => {
  // Newcombe (1998) Table II example (d), 5/56 vs 0/29: method 10 gives −0.0381 to 0.1926 — the interval
  // keeps its width although the holdout saw no conversion (Wald would give 0.0146 to 0.1640).
  it('keeps an honest interval', () => {
    const r = holdoutLift({ treatment: { conversions: 5, n: 56 }, holdout: { conversions: 0, n: 29 } });
    expect(r.absoluteLift.interval.lower).toBeCloseTo(-0.0381, 4);
    expect(r.absoluteLift.interval.upper).toBeCloseTo(0.1926, 4);
  });
});
