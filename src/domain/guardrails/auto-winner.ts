// Auto-winner guardrails: a `test` needs variants to choose from, and a test share too small for its
// variants to show a difference decides nothing (the held contacts would just get the fallback).
import { sampleSizeTwoProportions } from '../../measure/experiments/power.js';
import type { CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

/**
 * The difference a test share must be able to detect: 10 percentage points with 80% power (two-sided,
 * α = 0.05) at a 50% rate, where a rate varies most, so fewer contacts cannot detect it at any rate. The
 * sequential test the engine decides with is more conservative still: this is a floor.
 */
export const TEST_DETECTABLE = { p1: 0.5, p2: 0.6, power: 0.8 } as const;

export function autoWinnerFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const out: Finding[] = [];
  const holdout = spec.measurement?.holdout_percent ?? 0;
  const a = facts.audience;
  spec.sequence.forEach((step, i) => {
    if (!step.test) return;
    if (!step.variants) {
      out.push({
        code: 'test_without_variants',
        severity: 'blocking',
        path: `sequence.${i}.test`,
        message: `step "${step.id}" has a test but no variants to test: add variants or remove the test`,
      });
      return;
    }
    if (!a || a.count === 0) return;
    const total = step.variants.reduce((s, v) => s + Math.max(0, v.weight), 0);
    const smallest = Math.min(...step.variants.map((v) => Math.max(0, v.weight)));
    if (total <= 0) return;
    // At most the whole treated audience reaches the step; the share splits across variants by weight.
    const perVariant = Math.floor(a.count * (1 - holdout / 100) * step.test.share * (smallest / total));
    const needed = Math.ceil(
      sampleSizeTwoProportions(TEST_DETECTABLE.p1, TEST_DETECTABLE.p2, TEST_DETECTABLE.power),
    );
    if (perVariant >= needed) return;
    out.push({
      code: 'test_share_too_small',
      severity: 'warning',
      path: `sequence.${i}.test.share`,
      message: `a test share of ${step.test.share} gives the smallest variant of step "${step.id}" at most ${perVariant} contacts; telling a 10-point difference apart with 80% power needs about ${needed} per variant, so the held contacts would most likely get the fallback`,
    });
  });
  return out;
}
