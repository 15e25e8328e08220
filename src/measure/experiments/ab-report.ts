// One call that computes every experiment statistic for a two-arm test from its counts (`baton abtest`).
import { BatonError } from '../../domain/errors.js';
import { meanMoments, rateMoments, type MeanArm, type RateArm } from './arms.js';
import { bayesianRates, type BayesianRateResult } from './bayesian.js';
import { decideWinner, type WinnerDecision } from './decide-winner.js';
import { welchTTest, type WelchResult } from './means.js';
import { minimumDetectableEffect, sampleSizeTwoProportions, type MinimumDetectableEffect } from './power.js';
import { twoProportionTest, type TwoProportionResult } from './proportions.js';
import { relativeLift, type RelativeLift } from './relative-lift.js';
import { sampleRatioMismatch, type SrmResult } from './srm.js';

export interface AbTestOptions {
  alpha?: number;
  /** Planned traffic split control:treatment (default 50:50). */
  split?: [number, number];
  /** Confidence-sequence tuning N. */
  tuning?: number;
  /** Target power for the sample-size figures (default 0.8). */
  power?: number;
}

export interface PowerInfo {
  targetPower: number;
  /** Smallest treatment rate detectable with the current per-arm size. */
  minimumDetectableEffect: MinimumDetectableEffect;
  /** Contacts per arm needed to detect the observed difference; null when there is none. */
  sampleSizeForObservedEffect: number | null;
}

export type AbTestReport =
  | {
      metric: 'rate';
      control: RateArm;
      treatment: RateArm;
      test: TwoProportionResult;
      relativeLift: RelativeLift | null;
      bayesian: BayesianRateResult;
      sequential: WinnerDecision;
      srm: SrmResult;
      power: PowerInfo;
    }
  | {
      metric: 'mean';
      control: MeanArm;
      treatment: MeanArm;
      test: WelchResult;
      relativeLift: RelativeLift | null;
      sequential: WinnerDecision;
      srm: SrmResult;
    };

function common(options: AbTestOptions) {
  const alpha = options.alpha ?? 0.05;
  const split = options.split ?? [50, 50];
  if (split.length !== 2 || !split.every((w) => Number.isFinite(w) && w > 0))
    throw BatonError.invalid([{ path: 'split', message: 'needs two positive weights, e.g. 50:50' }]);
  return { alpha, split, tuning: options.tuning };
}

/** Every statistic for a conversion-rate test: control vs treatment. */
export function analyzeRateTest(
  control: RateArm,
  treatment: RateArm,
  options: AbTestOptions = {},
): AbTestReport {
  const { alpha, split, tuning } = common(options);
  const targetPower = options.power ?? 0.8;
  const test = twoProportionTest(control, treatment, alpha);
  const perArm = Math.min(control.n, treatment.n);
  return {
    metric: 'rate',
    control,
    treatment,
    test,
    relativeLift: relativeLift(rateMoments(control), rateMoments(treatment), alpha),
    bayesian: bayesianRates(control, treatment),
    sequential: decideWinner(
      [
        { id: 'control', ...control },
        { id: 'treatment', ...treatment },
      ],
      {
        controlId: 'control',
        fallbackId: 'control',
        alpha,
        tuning,
        weights: { control: split[0], treatment: split[1] },
      },
      0,
    ),
    srm: sampleRatioMismatch([control.n, treatment.n], split),
    power: {
      targetPower,
      minimumDetectableEffect: minimumDetectableEffect(test.controlRate, perArm, targetPower, { alpha }),
      sampleSizeForObservedEffect:
        test.difference === 0
          ? null
          : Math.ceil(sampleSizeTwoProportions(test.controlRate, test.treatmentRate, targetPower, { alpha })),
    },
  };
}

/** Every statistic for a value-per-contact test given n, Σx and Σx² per arm. */
export function analyzeMeanTest(
  control: MeanArm,
  treatment: MeanArm,
  options: AbTestOptions = {},
): AbTestReport {
  const { alpha, split, tuning } = common(options);
  const test = welchTTest(control, treatment, alpha);
  return {
    metric: 'mean',
    control,
    treatment,
    test,
    relativeLift: relativeLift(meanMoments(control), meanMoments(treatment), alpha),
    sequential: decideWinner(
      [
        { id: 'control', ...control },
        { id: 'treatment', ...treatment },
      ],
      {
        controlId: 'control',
        fallbackId: 'control',
        alpha,
        tuning,
        weights: { control: split[0], treatment: split[1] },
      },
      0,
    ),
    srm: sampleRatioMismatch([control.n, treatment.n], split),
  };
}
