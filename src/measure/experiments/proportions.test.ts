import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { twoProportionTest } from './proportions.js';

describe('twoProportionTest', () => {
  // statsmodels test_proportion.py::test_default_values (GH 2969):
  // proportions_ztest([5, 12], [83, 99]) → stat = -1.4078304151258787, pval = 0.15918129181156992.
  it('matches statsmodels proportions_ztest', () => {
    const r = twoProportionTest({ conversions: 12, n: 99 }, { conversions: 5, n: 83 });
    expect(r.z).toBeCloseTo(-1.4078304151258787, 12);
    expect(r.pValue).toBeCloseTo(0.15918129181156992, 12);
  });

  // R prop.test(matrix(c(94, 39, 120, 89), 2), correct = FALSE) as printed on influentialpoints.com
  // ("Two-sample test for independent proportions - using R"): prop 1 = 0.4392523 (94/214),
  // prop 2 = 0.3046875 (39/128), X-squared = 6.1026, p-value = 0.01350,
  // 95 percent confidence interval 0.03074072 0.23838896 (for prop 1 − prop 2).
  it('matches R prop.test(correct = FALSE): X-squared = z², Wald interval', () => {
    const r = twoProportionTest({ conversions: 39, n: 128 }, { conversions: 94, n: 214 });
    expect(r.treatmentRate).toBeCloseTo(0.4392523, 7);
    expect(r.controlRate).toBeCloseTo(0.3046875, 7);
    expect(r.z * r.z).toBeCloseTo(6.1026, 4);
    expect(r.pValue).toBeCloseTo(0.0135, 4);
    expect(r.interval.lower).toBeCloseTo(0.03074072, 8);
    expect(r.interval.upper).toBeCloseTo(0.23838896, 8);
  });

  // statsmodels test_proportion.py TestProportion.res_ppt_pvals_raw: R pairwise.prop.test(smokers2,
  // patients, p.adjust = "none", correct = FALSE) with smokers2 = (73, 90, 114, 75),
  // patients = (86, 93, 136, 82); pairs in the order (1,2), (1,3), (1,4), (2,3), (2,4), (3,4).
  const success = [73, 90, 114, 75];
  const nobs = [86, 93, 136, 82];
  const pairs: Array<[number, number, number]> = [
    [0, 1, 0.00533824886503131],
    [0, 2, 0.8327574849753566],
    [0, 3, 0.1880573726722516],
    [1, 2, 0.002026764254350234],
    [1, 3, 0.1309487516334318],
    [2, 3, 0.1076118730631731],
  ];
  it.each(pairs)('matches R pairwise.prop.test p-value for groups %i and %i', (i, j, expected) => {
    const r = twoProportionTest(
      { conversions: success[i]!, n: nobs[i]! },
      { conversions: success[j]!, n: nobs[j]! },
    );
    expect(r.pValue).toBeCloseTo(expected, 12);
  });

  it('returns a documented result when nobody (or everybody) converted', () => {
    const none = twoProportionTest({ conversions: 0, n: 50 }, { conversions: 0, n: 60 });
    expect(none).toMatchObject({ z: 0, pValue: 1, difference: 0, interval: { lower: 0, upper: 0 } });
    const all = twoProportionTest({ conversions: 50, n: 50 }, { conversions: 60, n: 60 });
    expect(all.pValue).toBe(1);
  });

  it.each([
    [{ conversions: -1, n: 10 }, 'control.conversions'],
    [{ conversions: 11, n: 10 }, 'control.conversions'],
    [{ conversions: 0, n: 0 }, 'control.n'],
    [{ conversions: 1.5, n: 10 }, 'control.conversions'],
  ])('rejects bad counts %o', (control, path) => {
    try {
      twoProportionTest(control, { conversions: 1, n: 10 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BatonError);
      expect((e as BatonError).code).toBe('invalid_input');
      expect((e as BatonError).message).toContain(path);
    }
  });

  it('property: p-value in [0, 1] and the interval contains the difference', () => {
    const arm = fc
      .integer({ min: 1, max: 1_000_000 })
      .chain((n) => fc.record({ n: fc.constant(n), conversions: fc.integer({ min: 0, max: n }) }));
    fc.assert(
      fc.property(arm, arm, fc.double({ min: 0.001, max: 0.5, noNaN: true }), (c, t, alpha) => {
        const r = twoProportionTest(c, t, alpha);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(r.interval.lower).toBeLessThanOrEqual(r.difference);
        expect(r.interval.upper).toBeGreaterThanOrEqual(r.difference);
        expect(Number.isNaN(r.z)).toBe(false);
      }),
    );
  });
});
