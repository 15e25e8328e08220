// Holdout guardrail: a holdout too small to detect the lift the target implies measures nothing.
import { sampleSizeTwoProportions } from '../../measure/experiments/power.js';
import type { CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

/** Power and significance of the holdout comparison Baton reports (two-sided, α = 0.05, power 0.8). */
export const HOLDOUT_POWER = 0.8;

export function holdoutFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const holdout = spec.measurement?.holdout_percent ?? 0;
  const goal = spec.goal;
  const a = facts.audience;
  if (holdout <= 0 || !goal || !a || a.count === 0 || a.goalBaselineRate === null) return [];
  const treated = a.count * (1 - holdout / 100);
  const held = Math.floor((a.count * holdout) / 100);
  // The rate the treated group must reach for the target to be met.
  let target: number;
  if (goal.metric === 'rate') target = goal.target;
  else if (goal.metric === 'conversions' || goal.metric === 'unique_converters')
    target = goal.target / treated;
  else return []; // a value target says nothing about a conversion rate
  const baseline = a.goalBaselineRate;
  if (!(target > baseline) || target > 1) return [];
  const needed = Math.ceil(sampleSizeTwoProportions(baseline, target, HOLDOUT_POWER));
  if (held >= needed) return [];
  const neededPercent = Math.ceil((needed / a.count) * 1000) / 10;
  return [
    {
      code: 'holdout_too_small',
      severity: 'warning',
      path: 'measurement.holdout_percent',
      message: `a ${holdout}% holdout is ${held} contacts; detecting the target lift (${fmt(baseline)} → ${fmt(target)}) with 80% power needs about ${needed} per group${neededPercent <= 50 ? ` (holdout_percent ≈ ${neededPercent})` : ', more than this audience can give'}`,
    },
  ];
}

const fmt = (r: number): string => `${Math.round(r * 10000) / 100}%`;
