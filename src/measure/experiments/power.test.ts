import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { minimumDetectableEffect, powerTwoProportions, sampleSizeTwoProportions } from './power.js';

// Reference: the examples in R's documentation of power.prop.test (stats package), with the
// results noted in R's own example file:
//   power.prop.test(n = 50, p1 = .50, p2 = .75)      ## => power = 0.740  (printed 0.7401659)
//   power.prop.test(p1 = .50, p2 = .75, power = .90) ## =>     n = 76.7
//   power.prop.test(n = 50, p1 = .5, power = .90)    ## =>    p2 = 0.8026
//   power.prop.test(p1 = .5, p2 = 0.501, sig.level=.001, power=0.90) ## => n = 10451937
//   power.prop.test(p1=0.90, p2= 1.0, power=0.8)     ##-> n = 73.37
// (76.65294, sometimes quoted for the same inputs, is statsmodels' NormalIndPower on Cohen's
// arcsine effect size h, a different approximation.)
describe('power for two proportions (R power.prop.test)', () => {
  it('power at n = 50', () => {
    expect(powerTwoProportions(0.5, 0.75, 50)).toBeCloseTo(0.7401659, 7);
  });

  it('sample size per group', () => {
    expect(sampleSizeTwoProportions(0.5, 0.75, 0.9)).toBeCloseTo(76.7, 1);
    expect(sampleSizeTwoProportions(0.9, 1.0, 0.8)).toBeCloseTo(73.37, 2);
    expect(Math.abs(sampleSizeTwoProportions(0.5, 0.501, 0.9, { alpha: 0.001 }) - 10451937)).toBeLessThan(1);
  });

  it('minimum detectable effect', () => {
    const mde = minimumDetectableEffect(0.5, 50, 0.9);
    expect(mde.p2).toBeCloseTo(0.8026, 4);
    expect(mde.absolute).toBeCloseTo(0.3026, 4);
    expect(mde.relative).toBeCloseTo(0.6052, 3);
  });

  it('documents the edge cases', () => {
    expect(sampleSizeTwoProportions(0.3, 0.3)).toBe(Number.POSITIVE_INFINITY);
    expect(minimumDetectableEffect(0.5, 2, 0.99)).toEqual({ p2: null, absolute: null, relative: null });
    expect(minimumDetectableEffect(0, 1000, 0.8).relative).toBeNull();
  });

  it('rejects bad inputs', () => {
    expect(() => powerTwoProportions(1.2, 0.5, 10)).toThrow(BatonError);
    expect(() => sampleSizeTwoProportions(0.1, 0.2, 1)).toThrow(BatonError);
    expect(() => minimumDetectableEffect(0.1, 0, 0.8)).toThrow(BatonError);
    expect(() => powerTwoProportions(0.1, 0.2, 10, { alpha: 0 })).toThrow(BatonError);
  });
});
