// Auto-winner: the decision for a step that tested its variants on a share of its audience, taken at the
// decision time from the test share's counts by the sequential test (`decideWinner`). When no variant is
// demonstrably better (or the counts cannot be compared) the fallback goes, with the reason recorded.
import type { Step } from '../../domain/campaign.js';
import { isBatonError } from '../../domain/errors.js';
import { decideWinner, type WinnerDecision } from './decide-winner.js';

export interface AutoWinnerArm {
  id: string;
  n: number;
  successes: number;
}

/** One recorded auto-winner decision (the engine's tick writes it; the report shows it). */
export interface AutoWinnerRecord {
  campaignId: string;
  stepId: string;
  metric: string;
  firstSendAt: number;
  decideAt: number;
  decidedAt: number;
  /** The variant the held contacts got. */
  variantId: string;
  verdict: WinnerDecision['verdict'];
  decidedBy: 'sequential_test' | 'fallback';
  reason: string;
  /** The test share's counts at the decision (the held contacts are not in them). */
  arms: AutoWinnerArm[];
  comparisons: WinnerDecision['comparisons'];
  /** Held touches handed the variant at the decision. */
  released: number;
}

export interface AutoWinnerTiming {
  firstSendAt: number;
  decideAt: number;
  now: number;
}

/**
 * Decides a test step from its arms (contacts sent each variant, and how many of them reached the metric).
 * The control is the first variant; the fallback is `test.fallback` or the control. The sample-ratio check
 * runs against the variant weights when every variant was sent (the test share splits by weight).
 */
export function autoWinnerDecision(
  campaignId: string,
  step: Step,
  arms: readonly AutoWinnerArm[],
  timing: AutoWinnerTiming,
): AutoWinnerRecord {
  const variants = step.variants ?? [];
  const control = variants[0]?.id ?? '';
  const fallbackId = step.test?.fallback ?? control;
  const base = {
    campaignId,
    stepId: step.id,
    metric: step.test?.metric ?? 'clicked',
    firstSendAt: timing.firstSendAt,
    decideAt: timing.decideAt,
    decidedAt: timing.now,
    arms: [...arms],
    released: 0,
  };
  const fallback = (reason: string): AutoWinnerRecord => ({
    ...base,
    variantId: fallbackId,
    verdict: 'inconclusive',
    decidedBy: 'fallback',
    reason,
    comparisons: [],
  });
  const live = arms.filter((a) => a.n > 0);
  if (live.length < 2) {
    return fallback(
      'fewer than two variants were sent by the decision time: nothing to compare, the fallback goes',
    );
  }
  if (!live.some((a) => a.id === control) || !live.some((a) => a.id === fallbackId)) {
    return fallback(
      `the control ${control} or the fallback ${fallbackId} was sent to nobody by the decision time: the fallback goes`,
    );
  }
  const checkRatio = live.length === variants.length && variants.every((v) => v.weight > 0);
  const weights = Object.fromEntries(variants.map((v) => [v.id, v.weight]));
  try {
    const d = decideWinner(
      live.map((a) => ({ id: a.id, conversions: a.successes, n: a.n })),
      { controlId: control, fallbackId, decisionAt: timing.decideAt, ...(checkRatio ? { weights } : {}) },
      Math.max(timing.now, timing.decideAt),
    );
    return {
      ...base,
      variantId: d.chosenVariant ?? fallbackId,
      verdict: d.verdict,
      decidedBy: d.decidedBy ?? 'fallback',
      reason: d.reason,
      comparisons: d.comparisons,
    };
  } catch (e) {
    if (!isBatonError(e)) throw e;
    return fallback(`${e.message}; the fallback goes`);
  }
}
