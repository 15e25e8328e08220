import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { alwaysOnPacing, goalPacing, referenceCurveFromSeries, type PacingInput } from './pacing.js';

const DAY = 86_400_000;
const START = Date.UTC(2027, 0, 11);
const END = START + 40 * DAY;
const HALF = START + 20 * DAY;

const base = (over: Partial<PacingInput>): PacingInput => ({
  target: 100,
  windowStart: START,
  windowEnd: END,
  series: [],
  now: HALF,
  ...over,
});

describe('goalPacing', () => {
  it('is on track when the linear pace reaches the target', () => {
    const r = goalPacing(
      base({
        series: [
          { at: START + 10 * DAY, actual: 20 },
          { at: HALF, actual: 50 },
        ],
      }),
    );
    expect(r).toMatchObject({
      actualToDate: 50,
      elapsedFraction: 0.5,
      expectedToDate: 50,
      pace: 1,
      status: 'on_track',
    });
    expect(r.projectedFinal).toBeCloseTo(100, 12);
    expect(r.history).toEqual([
      { at: START + 10 * DAY, actual: 20, expected: 25 },
      { at: HALF, actual: 50, expected: 50 },
    ]);
  });

  it('is at risk at 80% of the target and off track below', () => {
    expect(goalPacing(base({ series: [{ at: HALF, actual: 40 }] })).status).toBe('at_risk');
    const off = goalPacing(base({ series: [{ at: HALF, actual: 30 }] }));
    expect(off.projectedFinal).toBeCloseTo(60, 12);
    expect(off.status).toBe('off_track');
  });

  // Garwood exact 95% limits for a count of 10 are 4.80 to 18.39 (Garwood 1936; as tabulated e.g. by
  // the calculatorhub.com Garwood calculator). Halfway through a linear window the remaining half is
  // expected to bring as much again, so the projection is 10 + [4.80, 18.39].
  it('projects the final with Garwood limits on the pace', () => {
    const r = goalPacing(base({ series: [{ at: HALF, actual: 10 }] }));
    expect(r.projectedFinal).toBeCloseTo(20, 12);
    expect(r.projectedInterval.lower).toBeCloseTo(14.8, 2);
    expect(r.projectedInterval.upper).toBeCloseTo(28.39, 2);
  });

  it('calls a short-but-plausible projection at risk when its interval still reaches the target', () => {
    // 7 of 20 halfway: projected 14, below 80% of the target (16), but Garwood's upper limit for 7
    // (14.42) puts the interval's top at 21.4, above the target.
    const r = goalPacing(base({ target: 20, series: [{ at: HALF, actual: 7 }] }));
    expect(r.projectedFinal).toBeCloseTo(14, 12);
    expect(r.projectedInterval.upper).toBeGreaterThanOrEqual(20);
    expect(r.status).toBe('at_risk');
  });

  it('follows the reference curve instead of a straight line', () => {
    // A back-loaded reference: a quarter of the result by half time.
    const curve = [
      { fraction: 0.5, share: 0.25 },
      { fraction: 1, share: 1 },
    ];
    const r = goalPacing(base({ series: [{ at: HALF, actual: 25 }], referenceCurve: curve }));
    expect(r.expectedShare).toBeCloseTo(0.25, 12);
    expect(r.expectedToDate).toBeCloseTo(25, 12);
    expect(r.projectedFinal).toBeCloseTo(100, 12);
    expect(r.status).toBe('on_track');
    // Interpolated between points: at 75% of the window, 0.25 + 0.75 × 0.5 = 0.625.
    expect(goalPacing(base({ now: START + 30 * DAY, referenceCurve: curve })).expectedShare).toBeCloseTo(
      0.625,
      12,
    );
  });

  it('builds a normalised reference curve from a past campaign', () => {
    const curve = referenceCurveFromSeries(
      [
        { at: START, actual: 0 },
        { at: HALF, actual: 30 },
        { at: END, actual: 120 },
      ],
      START,
      END,
    );
    expect(curve).toEqual([
      { fraction: 0, share: 0 },
      { fraction: 0.5, share: 0.25 },
      { fraction: 1, share: 1 },
    ]);
  });

  it('handles the window edges', () => {
    expect(goalPacing(base({ now: START - DAY })).status).toBe('not_started');
    const before = goalPacing(base({ now: START }));
    expect(before.pace).toBeNull();
    expect(before.projectedInterval.upper).toBe(Number.POSITIVE_INFINITY);
    const after = goalPacing(base({ now: END + DAY, series: [{ at: END - DAY, actual: 90 }] }));
    expect(after).toMatchObject({
      status: 'missed',
      projectedFinal: 90,
      projectedInterval: { lower: 90, upper: 90 },
    });
    expect(goalPacing(base({ series: [{ at: HALF - DAY, actual: 100 }] })).status).toBe('met');
  });

  it('ignores points after now', () => {
    const r = goalPacing(
      base({
        series: [
          { at: HALF, actual: 50 },
          { at: HALF + DAY, actual: 70 },
        ],
      }),
    );
    expect(r.actualToDate).toBe(50);
  });

  it('computes cost per result when spend and budget are known', () => {
    const r = goalPacing(base({ series: [{ at: HALF, actual: 50 }], spend: 500, budget: 1000 }));
    expect(r.costPerResult).toBeCloseTo(10, 12);
    expect(r.projectedCostPerResult).toBeCloseTo(10, 12);
    expect(goalPacing(base({ spend: 500 })).costPerResult).toBeNull();
  });

  it.each([
    [{ target: 0 }, 'target'],
    [{ windowEnd: START }, 'windowEnd'],
    [{ series: [{ at: HALF, actual: -1 }] }, 'series.0.actual'],
    [{ spend: -5 }, 'spend'],
    [
      {
        referenceCurve: [
          { fraction: 0.5, share: 0.6 },
          { fraction: 1, share: 0.4 },
        ],
      },
      'referenceCurve.1.share',
    ],
    [{ referenceCurve: [{ fraction: 1.5, share: 1 }] }, 'referenceCurve.0.fraction'],
  ])('rejects %o', (over, path) => {
    expect(() => goalPacing(base(over))).toThrow(BatonError);
    expect(() => goalPacing(base(over))).toThrow(path);
  });

  // 20 deals of $50,000 halfway through the window: $1,000,000 in, projected $2,000,000. The total is a
  // compound Poisson sum, so its limits are Fay & Feuer's (1997) for a weighted Poisson sum, with
  // y = Σw = 1,000,000, v = Σw² = 20 × 50,000² = 5e10, w_M = 50,000:
  //   lower = v/(2y) · χ²(0.025; 2y²/v = 40) = 25,000 × 24.433 = 610,825
  //   upper = (v + w_M²)/(2(y + w_M)) · χ²(0.975; 2(y + w_M)²/(v + w_M²) = 42) = 25,000 × 61.777 = 1,544,425
  // (χ² quantiles from the standard table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4). That is 50,000 ×
  // Garwood's limits for 20 events (12.22, 30.89): −39% / +54% on the pace, like the count goal. The
  // remaining half adds the pace again: interval 1,000,000 + [610,825, 1,544,425].
  const deals = (unit: number): PacingInput =>
    base({
      target: 2_500_000 * unit,
      measure: 'value',
      series: Array.from({ length: 20 }, (_, i) => ({
        at: START + (i + 1) * DAY * 0.9,
        actual: (i + 1) * 50_000 * unit,
      })),
    });

  it('gives a value goal a compound Poisson interval over its deals, not a count of dollars', () => {
    const r = goalPacing(deals(1));
    expect(r.projectedFinal).toBeCloseTo(2_000_000, 6);
    expect(r.projectedInterval.lower / 1_610_825).toBeCloseTo(1, 3);
    expect(r.projectedInterval.upper / 2_544_425).toBeCloseTo(1, 3);
    // The interval reaches the $2.5M target, so the short projection is at risk, not off track.
    expect(r.status).toBe('at_risk');
  });

  it('gives the same value interval in cents as in dollars, times 100', () => {
    const dollars = goalPacing(deals(1));
    const cents = goalPacing(deals(100));
    expect(cents.projectedInterval.lower / (100 * dollars.projectedInterval.lower)).toBeCloseTo(1, 12);
    expect(cents.projectedInterval.upper / (100 * dollars.projectedInterval.upper)).toBeCloseTo(1, 12);
    expect(cents.status).toBe(dollars.status);
  });

  it('widens a value interval when the same total comes from uneven deals', () => {
    // Same $1,000,000 from 20 deals, one of them $525,000: Σw² grows, so the pace is less certain.
    const even = goalPacing(deals(1));
    const values = [525_000, ...Array.from({ length: 19 }, () => 25_000)];
    let total = 0;
    const uneven = goalPacing(
      base({
        target: 2_500_000,
        measure: 'value',
        series: values.map((v, i) => ({ at: START + (i + 1) * DAY * 0.9, actual: (total += v) })),
      }),
    );
    expect(uneven.projectedFinal).toBeCloseTo(2_000_000, 6);
    expect(uneven.projectedInterval.lower).toBeLessThan(even.projectedInterval.lower);
    expect(uneven.projectedInterval.upper).toBeGreaterThan(even.projectedInterval.upper);
  });

  it('leaves a value interval open above before any value is in', () => {
    const r = goalPacing(base({ measure: 'value', series: [] }));
    expect(r.projectedInterval).toEqual({ lower: 0, upper: Number.POSITIVE_INFINITY });
  });

  it('property: the projection interval contains the projection, nothing is NaN', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 39 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (actual, day, target) => {
          const r = goalPacing(
            base({ target, now: START + day * DAY, series: [{ at: START + DAY / 2, actual }] }),
          );
          expect(r.projectedInterval.lower).toBeLessThanOrEqual(
            r.projectedFinal + 1e-9 * Math.max(1, r.projectedFinal),
          );
          expect(r.projectedInterval.upper).toBeGreaterThanOrEqual(
            r.projectedFinal - 1e-9 * Math.max(1, r.projectedFinal),
          );
          for (const v of [r.projectedFinal, r.expectedToDate, r.projectedShareOfTarget, r.pace ?? 0])
            expect(Number.isNaN(v)).toBe(false);
        },
      ),
    );
  });
});

describe('alwaysOnPacing', () => {
  it('paces every calendar month against its own target, re-basing the cumulative series', () => {
    const jan1 = Date.UTC(2027, 0, 1);
    const feb1 = Date.UTC(2027, 1, 1);
    const feb15 = feb1 + 14 * DAY; // 14 of February's 28 days: half the month
    const months = alwaysOnPacing({
      monthlyTarget: { '2027-01': 100, '2027-02': 60 },
      programStart: jan1 + 3 * DAY,
      now: feb15,
      series: [
        { at: jan1 + 10 * DAY, actual: 40 },
        { at: jan1 + 30 * DAY, actual: 110 },
        { at: feb1 + 7 * DAY, actual: 125 },
        { at: feb15, actual: 140 },
      ],
      monthlySpend: { '2027-02': 90 },
    });
    expect(months.map((m) => m.period)).toEqual(['2027-01', '2027-02']);
    expect(months[0]).toMatchObject({ actualToDate: 110, status: 'met' });
    expect(months[1]).toMatchObject({
      actualToDate: 30,
      expectedToDate: 30,
      status: 'on_track',
      costPerResult: 3,
    });
  });

  it('paces the launch month from the launch, against a pro-rated target', () => {
    // Launched 20 January with 100 a month; 30 conversions by the 24th, seen on the 25th. January after
    // the launch is 12 of its 31 days: target 100 × 12/31 = 38.71, 5 of the 12 days elapsed, expected
    // 38.71 × 5/12 = 16.13, projected 30 × 12/5 = 72 (a pace of about 180 a month): on track.
    const [jan] = alwaysOnPacing({
      monthlyTarget: 100,
      programStart: Date.UTC(2027, 0, 20),
      now: Date.UTC(2027, 0, 25),
      series: [{ at: Date.UTC(2027, 0, 24), actual: 30 }],
    });
    expect(jan!.periodStart).toBe(Date.UTC(2027, 0, 20));
    expect(jan!.target).toBeCloseTo((100 * 12) / 31, 9);
    expect(jan!.elapsedFraction).toBeCloseTo(5 / 12, 12);
    expect(jan!.expectedToDate).toBeCloseTo((100 * 5) / 31, 9);
    expect(jan!.projectedFinal).toBeCloseTo(72, 9);
    expect(jan!.status).toBe('on_track');
  });

  it('uses the program time zone for month boundaries', () => {
    // 2027-02-01T03:00Z is still January in New York.
    const months = alwaysOnPacing({
      monthlyTarget: 10,
      programStart: Date.UTC(2027, 0, 20),
      now: Date.UTC(2027, 1, 1, 3),
      timezone: 'America/New_York',
      series: [],
    });
    expect(months.map((m) => m.period)).toEqual(['2027-01']);
  });

  it('rejects a month without a target and an unknown zone', () => {
    const input = { programStart: Date.UTC(2027, 0, 20), now: Date.UTC(2027, 1, 3), series: [] };
    expect(() => alwaysOnPacing({ ...input, monthlyTarget: { '2027-01': 5 } })).toThrow(
      'monthlyTarget.2027-02',
    );
    expect(() => alwaysOnPacing({ ...input, monthlyTarget: 5, timezone: 'Mars/Olympus' })).toThrow(
      BatonError,
    );
  });
});
