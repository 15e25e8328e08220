// Goal and window guardrails: a campaign is judged on one goal with a target, a lookback and an end date.
import { campaignWindow, type CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

export function goalFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const goal = spec.goal as Partial<NonNullable<CampaignSpec['goal']>> | undefined;
  if (!goal) {
    return [
      {
        code: 'goal_missing',
        severity: 'blocking',
        path: 'goal',
        message:
          'the campaign has no goal: name the event that counts, a target and a lookback (goal: { metric, event, target, lookback_days })',
      },
    ];
  }
  const out: Finding[] = [];
  // The schema requires these on saved campaigns; lint also runs on drafts built field by field (UI, API).
  if (typeof goal.target !== 'number' || !(goal.target > 0)) {
    out.push({
      code: 'goal_target_missing',
      severity: 'blocking',
      path: 'goal.target',
      message: 'the goal has no target: say how many conversions (or what value or rate) counts as success',
    });
  }
  if (typeof goal.lookback_days !== 'number' || !(goal.lookback_days > 0)) {
    out.push({
      code: 'goal_lookback_missing',
      severity: 'blocking',
      path: 'goal.lookback_days',
      message: 'the goal has no lookback: say how many days after a touch a conversion still counts',
    });
  }
  if (goal.event && !facts.goalEventSeen) {
    out.push({
      code: 'goal_event_unseen',
      severity: 'warning',
      path: 'goal.event',
      message: `no "${goal.event}" event has ever reached this workspace: check the name, or send one before launch, or nothing will be measured`,
    });
  }
  return out;
}

export function windowFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const out: Finding[] = [];
  const w = campaignWindow(spec);
  if (spec.kind === 'campaign' && (w === null || w.end === null)) {
    out.push({
      code: 'window_end_missing',
      severity: 'blocking',
      path: w === null ? 'window' : 'window.end',
      message: 'a campaign needs an end date (window.end); use kind: always-on for a program without one',
    });
  }
  if (w?.end != null && w.end <= facts.now) {
    out.push({
      code: 'window_ended',
      severity: 'blocking',
      path: 'window.end',
      message: `the window already ended (${new Date(w.end).toISOString()}): move window.end into the future`,
    });
  }
  return out;
}
