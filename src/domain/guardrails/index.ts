// Launch guardrails (pure): the four classic campaign mistakes — no clear goal, audience too broad,
// uncoordinated channels, no measurement plan — as findings with stable codes, computed from a spec and facts.
import type { CampaignSpec } from '../campaign.js';
import { audienceFindings, overlapFindings } from './audience.js';
import { autoWinnerFindings } from './auto-winner.js';
import { cadenceFindings } from './cadence.js';
import { channelFindings } from './channels.js';
import { contentFindings } from './content.js';
import { goalFindings, windowFindings } from './goal.js';
import { holdoutFindings } from './holdout.js';
import { stageFindings } from './stage.js';
import { smsFindings } from './sms.js';
import type { Finding, LintFacts } from './types.js';

export * from './types.js';

/** Every finding for `spec`, blocking ones first, then in rule order. */
export function lint(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const all = [
    ...goalFindings(spec, facts),
    ...windowFindings(spec, facts),
    ...audienceFindings(spec, facts),
    ...channelFindings(spec),
    ...contentFindings(spec, facts),
    ...cadenceFindings(spec, facts),
    ...overlapFindings(spec, facts),
    ...holdoutFindings(spec, facts),
    ...stageFindings(spec, facts),
    ...smsFindings(spec),
    ...autoWinnerFindings(spec, facts),
  ];
  return [...all.filter((f) => f.severity === 'blocking'), ...all.filter((f) => f.severity === 'warning')];
}

export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'blocking');
}
