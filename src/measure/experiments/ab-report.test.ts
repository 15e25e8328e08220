import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { analyzeMeanTest, analyzeRateTest } from './ab-report.js';

describe('analyzeRateTest / analyzeMeanTest', () => {
  // Inputs of statsmodels' proportions_ztest example (counts [5, 12] of [83, 99]): p = 0.15918129181156992.
  it('composes the rate statistics', () => {
    const r = analyzeRateTest({ conversions: 12, n: 99 }, { conversions: 5, n: 83 });
    if (r.metric !== 'rate') throw new Error('expected a rate report');
    expect(r.test.pValue).toBeCloseTo(0.15918129181156992, 12);
    expect(r.bayesian.chanceToBeatControl).toBeLessThan(0.5);
    expect(r.sequential.verdict).toBe('keep_testing');
    expect(r.srm.df).toBe(1);
    expect(r.power.sampleSizeForObservedEffect).toBeGreaterThan(99);
  });

  it('reports no sample size when there is no observed difference', () => {
    const r = analyzeRateTest({ conversions: 10, n: 100 }, { conversions: 10, n: 100 });
    if (r.metric !== 'rate') throw new Error('expected a rate report');
    expect(r.power.sampleSizeForObservedEffect).toBeNull();
  });

  it('uses the planned split for the SRM check', () => {
    const r = analyzeRateTest(
      { conversions: 10, n: 2000 },
      { conversions: 10, n: 8000 },
      { split: [20, 80] },
    );
    expect(r.srm.chiSquare).toBeCloseTo(0, 12);
    expect(() =>
      analyzeRateTest({ conversions: 1, n: 2 }, { conversions: 1, n: 2 }, { split: [0, 1] }),
    ).toThrow(BatonError);
  });

  it('composes the mean statistics', () => {
    const r = analyzeMeanTest(
      { n: 10, sum: 23.3, sumSquares: 90.37 },
      { n: 10, sum: 7.5, sumSquares: 34.43 },
    );
    expect(r.metric).toBe('mean');
    expect(r.test.pValue).toBeCloseTo(0.07939, 5); // R t.test on the sleep data
  });
});
