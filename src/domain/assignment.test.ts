import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignArm, assignVariant, unitHash } from './assignment.js';
import { cdf as chisqCdf } from '@stdlib/stats-base-dists-chisquare';

describe('deterministic assignment', () => {
  it('gives the same arm and variant on every call', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 50 }), (campaign, contact, pct) => {
        expect(assignArm(campaign, contact, pct)).toBe(assignArm(campaign, contact, pct));
        const vs = [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 3 },
        ];
        expect(assignVariant(campaign, 's', contact, vs)).toBe(assignVariant(campaign, 's', contact, vs));
      }),
    );
  });

  it('puts about holdout_percent of contacts in the holdout (binomial 99.9% band)', () => {
    const n = 20_000;
    let holdout = 0;
    for (let i = 0; i < n; i++) if (assignArm('launch', `ct_${i}`, 10) === 'holdout') holdout++;
    // Binomial(20000, 0.1): sd = sqrt(20000 * 0.1 * 0.9) ≈ 42.4; ±3.3 sd ≈ ±140.
    expect(Math.abs(holdout - 2000)).toBeLessThan(140);
    expect(assignArm('launch', 'ct_1', 0)).toBe('treatment');
  });

  it('splits variants in proportion to their weights (chi-square goodness of fit)', () => {
    const n = 30_000;
    const counts = { a: 0, b: 0, c: 0 };
    const vs = [
      { id: 'a', weight: 50 },
      { id: 'b', weight: 30 },
      { id: 'c', weight: 20 },
      { id: 'never', weight: 0 },
    ];
    for (let i = 0; i < n; i++) counts[assignVariant('cmp', 'intro', `ct_${i}`, vs) as 'a' | 'b' | 'c']++;
    const expected = [0.5 * n, 0.3 * n, 0.2 * n];
    const stat = [counts.a, counts.b, counts.c].reduce(
      (s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!,
      0,
    );
    expect(1 - chisqCdf(stat, 2)).toBeGreaterThan(0.001);
  });

  it('is uniform in [0, 1)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), (parts) => {
        const u = unitHash(...parts);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
      }),
    );
  });
});
