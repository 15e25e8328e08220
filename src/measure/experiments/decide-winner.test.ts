import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { decideWinner, type ArmData } from './decide-winner.js';

const T0 = Date.UTC(2027, 0, 12);
const HOUR = 3_600_000;
const config = { controlId: 'a', fallbackId: 'a', decisionAt: T0 + 48 * HOUR };

describe('decideWinner', () => {
  it('declares a clear winner before the decision time', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 200, n: 5000 },
      { id: 'b', conversions: 400, n: 5000 },
    ];
    const d = decideWinner(arms, config, T0);
    expect(d).toMatchObject({
      verdict: 'winner',
      chosenVariant: 'b',
      decidedBy: 'sequential_test',
      final: true,
    });
    expect(d.comparisons[0]!.outcome).toBe('better');
    expect(d.comparisons[0]!.interval.lower).toBeGreaterThan(0);
    expect(d.comparisons[0]!.relativeLift).toBeCloseTo(1, 12);
  });

  it('never decides on arms with no observed spread: 2/2 against 0/2, or identical values', () => {
    // The plug-in variances p(1 − p) are both 0 here, which once made the interval a point and b a winner
    // after four contacts. With the Agresti–Caffo rates 3/4 and 1/4 the standard error is √(3/16) ≈ 0.43,
    // and a confidence sequence tuned for 5,000 contacts is far wider than the gap of 1 at four.
    const tiny: ArmData[] = [
      { id: 'a', conversions: 0, n: 2 },
      { id: 'b', conversions: 2, n: 2 },
    ];
    const d = decideWinner(tiny, config, T0);
    expect(d).toMatchObject({ verdict: 'keep_testing', chosenVariant: null, final: false });
    expect(d.comparisons[0]!.interval.lower).toBeLessThan(0);
    // Values: two contacts worth 0 against two worth 100 — no spread in either arm, nothing learnt.
    const values: ArmData[] = [
      { id: 'a', n: 2, sum: 0, sumSquares: 0 },
      { id: 'b', n: 2, sum: 200, sumSquares: 20_000 },
    ];
    expect(decideWinner(values, config, T0)).toMatchObject({ verdict: 'keep_testing', final: false });
    // A gap that stays clear with the adjustment is still decided: 40/40 against 0/40 (adjusted rates
    // 41/42 and 1/42, standard error ≈ 0.034; the sequence's half-width at 80 contacts is about 0.25).
    const clear: ArmData[] = [
      { id: 'a', conversions: 0, n: 40 },
      { id: 'b', conversions: 40, n: 40 },
    ];
    expect(decideWinner(clear, config, T0)).toMatchObject({ verdict: 'winner', chosenVariant: 'b' });
  });

  it('keeps testing while inconclusive, then sends the fallback at the decision time', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 100, n: 1000 },
      { id: 'b', conversions: 110, n: 1000 },
    ];
    expect(decideWinner(arms, config, T0)).toMatchObject({
      verdict: 'keep_testing',
      chosenVariant: null,
      final: false,
    });
    expect(decideWinner(arms, config, T0 + 48 * HOUR)).toMatchObject({
      verdict: 'inconclusive',
      chosenVariant: 'a',
      decidedBy: 'fallback',
      final: true,
    });
  });

  it('calls an underpowered test inconclusive at the decision time, never "no difference"', () => {
    // 10/100 vs 15/100: a 5-point gap whose fixed-horizon 95% Wald interval alone is −4.1 to +14.1 points
    // (se = √(0.1·0.9/100 + 0.15·0.85/100) = 0.0466), so the data fit "b is far better" as well as "no
    // difference": without an equivalence margin there is no evidence of equivalence either.
    const arms: ArmData[] = [
      { id: 'a', conversions: 10, n: 100 },
      { id: 'b', conversions: 15, n: 100 },
    ];
    const d = decideWinner(arms, config, T0 + 48 * HOUR);
    expect(d).toMatchObject({ verdict: 'inconclusive', chosenVariant: 'a', decidedBy: 'fallback' });
    expect(d.comparisons[0]!.interval.lower).toBeLessThan(0);
    expect(d.comparisons[0]!.interval.upper).toBeGreaterThan(0.05);
    // A margin the interval does not fit inside changes nothing: still inconclusive.
    expect(decideWinner(arms, { ...config, equivalenceMargin: 0.05 }, T0 + 48 * HOUR).verdict).toBe(
      'inconclusive',
    );
  });

  it('does not call a fixed-horizon-significant result conclusive (peeking protection)', () => {
    // 1000/10000 vs 1100/10000: fixed-horizon z ≈ 2.3 (p ≈ 0.02), but the confidence sequence still covers 0.
    const arms: ArmData[] = [
      { id: 'a', conversions: 1000, n: 10000 },
      { id: 'b', conversions: 1100, n: 10000 },
    ];
    expect(decideWinner(arms, { ...config, decisionAt: null }, T0).verdict).toBe('keep_testing');
  });

  it('picks the control when every variant is conclusively worse', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 500, n: 5000 },
      { id: 'b', conversions: 200, n: 5000 },
      { id: 'c', conversions: 250, n: 5000 },
    ];
    expect(decideWinner(arms, config, T0)).toMatchObject({ verdict: 'winner', chosenVariant: 'a' });
  });

  it('honours direction "lower" (e.g. unsubscribe rate)', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 400, n: 5000 },
      { id: 'b', conversions: 200, n: 5000 },
    ];
    expect(decideWinner(arms, { ...config, direction: 'lower' }, T0).chosenVariant).toBe('b');
  });

  it('ends early with "no difference" inside the equivalence margin', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 100_000, n: 1_000_000 },
      { id: 'b', conversions: 100_100, n: 1_000_000 },
    ];
    const d = decideWinner(arms, { ...config, fallbackId: 'b', equivalenceMargin: 0.05 }, T0);
    expect(d).toMatchObject({ verdict: 'no_difference', chosenVariant: 'b', decidedBy: 'sequential_test' });
  });

  it('decides on value per contact (means)', () => {
    const arms: ArmData[] = [
      { id: 'a', n: 4000, sum: 4000, sumSquares: 8000 },
      { id: 'b', n: 4000, sum: 6000, sumSquares: 13000 },
    ];
    expect(decideWinner(arms, config, T0).chosenVariant).toBe('b');
  });

  it('refuses to crown a winner under a sample ratio mismatch', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 200, n: 5000 },
      { id: 'b', conversions: 400, n: 6000 },
    ];
    const d = decideWinner(arms, { ...config, weights: { a: 1, b: 1 } }, T0);
    expect(d.verdict).toBe('keep_testing');
    expect(d.srm?.mismatch).toBe(true);
    expect(decideWinner(arms, { ...config, weights: { a: 1, b: 1 } }, T0 + 48 * HOUR)).toMatchObject({
      verdict: 'inconclusive',
      chosenVariant: 'a',
      decidedBy: 'fallback',
    });
  });

  // cprior tests/test_beta.py: Beta(40, 60) vs Beta(70, 90) → P(B > A) = 0.7262717462 and expected loss
  // of choosing B = 0.0106119843; with Beta(1, 1) priors those are 39/98 vs 69/158 conversions.
  it('records the exact Bayesian numbers with each comparison of rates', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 39, n: 98 },
      { id: 'b', conversions: 69, n: 158 },
    ];
    const c = decideWinner(arms, config, T0).comparisons[0]!;
    expect(c.chanceToBeatControl).toBeCloseTo(0.7262717462, 8);
    expect(c.expectedLoss).toBeCloseTo(0.0106119843, 9);
    const lower = decideWinner(arms, { ...config, direction: 'lower' }, T0).comparisons[0]!;
    expect(lower.chanceToBeatControl).toBeCloseTo(1 - 0.7262717462, 8);
    expect(lower.expectedLoss).toBeCloseTo(0.0481119843, 9);
    const means: ArmData[] = [
      { id: 'a', n: 10, sum: 5, sumSquares: 5 },
      { id: 'b', n: 10, sum: 6, sumSquares: 6 },
    ];
    expect(decideWinner(means, config, T0).comparisons[0]).toMatchObject({
      chanceToBeatControl: null,
      expectedLoss: null,
    });
  });

  it("reports each arm's chance to be best, consistent with the pairwise chance for two arms", () => {
    const two = decideWinner(
      [
        { id: 'a', conversions: 39, n: 98 },
        { id: 'b', conversions: 69, n: 158 },
      ],
      config,
      T0,
    );
    // cprior: P(Beta(70, 90) > Beta(40, 60)) = 0.7262717462
    expect(two.chanceToBeBest!.b).toBeCloseTo(0.7262717462, 8);
    expect(two.chanceToBeBest!.a).toBeCloseTo(0.2737282538, 8);
    const three = decideWinner(
      [
        { id: 'a', conversions: 39, n: 638 },
        { id: 'b', conversions: 69, n: 968 },
        { id: 'c', conversions: 99, n: 1498 },
      ],
      config,
      T0,
    );
    // cprior test_beta_mv_probability_vs_all: Beta(40, 600), Beta(70, 900), Beta(100, 1400) → B 0.6003181 (rel 1e-2).
    expect(Math.abs(three.chanceToBeBest!.b! - 0.6003181) / 0.6003181).toBeLessThan(1e-2);
    const lower = decideWinner(
      [
        { id: 'a', conversions: 39, n: 638 },
        { id: 'b', conversions: 69, n: 968 },
        { id: 'c', conversions: 99, n: 1498 },
      ],
      { ...config, direction: 'lower' },
      T0,
    );
    expect(lower.chanceToBeBest!.b!).toBeLessThan(three.chanceToBeBest!.b!);
    expect(Object.values(lower.chanceToBeBest!).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 8);
  });

  it('splits alpha across variants (Bonferroni)', () => {
    const arms: ArmData[] = [
      { id: 'a', conversions: 1, n: 10 },
      { id: 'b', conversions: 1, n: 10 },
      { id: 'c', conversions: 1, n: 10 },
    ];
    expect(decideWinner(arms, { ...config, alpha: 0.1 }, T0).alpha).toBeCloseTo(0.05, 12);
  });

  it.each([
    [[{ id: 'a', conversions: 1, n: 10 }], 'arms'],
    [
      [
        { id: 'a', conversions: 1, n: 10 },
        { id: 'a', conversions: 1, n: 10 },
      ],
      'arms.1.id',
    ],
    [
      [
        { id: 'x', conversions: 1, n: 10 },
        { id: 'b', conversions: 1, n: 10 },
      ],
      'controlId',
    ],
    [
      [
        { id: 'a', conversions: 1, n: 10 },
        { id: 'b', n: 10, sum: 1, sumSquares: 1 },
      ],
      'arms',
    ],
    [
      [
        { id: 'a', conversions: 11, n: 10 },
        { id: 'b', conversions: 1, n: 10 },
      ],
      'arms.0.conversions',
    ],
  ])('rejects bad input %#', (arms, path) => {
    expect(() => decideWinner(arms as ArmData[], config, T0)).toThrow(BatonError);
    expect(() => decideWinner(arms as ArmData[], config, T0)).toThrow(path);
  });
});

describe('decideWinner under continuous peeking (A/A simulation)', () => {
  // mulberry32: a small seeded PRNG so the simulation is reproducible.
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('keeps false winners at or below alpha when looking after every 200 contacts, unlike a z test', () => {
    const random = rng(20270112);
    const runs = 300;
    let sequentialFalseWinners = 0;
    let fixedHorizonFalseWinners = 0;
    for (let run = 0; run < runs; run++) {
      const a = { id: 'a', conversions: 0, n: 0 };
      const b = { id: 'b', conversions: 0, n: 0 };
      let sequentialCalled = false;
      let fixedCalled = false;
      for (let look = 0; look < 50; look++) {
        for (let i = 0; i < 100; i++) {
          a.n++;
          b.n++;
          if (random() < 0.1) a.conversions++;
          if (random() < 0.1) b.conversions++;
        }
        if (
          !sequentialCalled &&
          decideWinner([a, b], { controlId: 'a', fallbackId: 'a' }, 0).verdict === 'winner'
        )
          sequentialCalled = true;
        const pooled = (a.conversions + b.conversions) / (a.n + b.n);
        const se = Math.sqrt(pooled * (1 - pooled) * (2 / a.n));
        if (se > 0 && Math.abs((b.conversions - a.conversions) / a.n / se) > 1.959964) fixedCalled = true;
      }
      if (sequentialCalled) sequentialFalseWinners++;
      if (fixedCalled) fixedHorizonFalseWinners++;
    }
    // Both arms are identical, so every winner is false. The confidence sequence holds alpha = 0.05
    // over all 50 looks; the naive z test read at every look is known to exceed it several times over.
    expect(sequentialFalseWinners / runs).toBeLessThanOrEqual(0.05);
    expect(fixedHorizonFalseWinners / runs).toBeGreaterThan(0.15);
  });
});
