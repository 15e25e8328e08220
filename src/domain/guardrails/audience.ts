// Audience guardrails: nobody to reach, everybody reached, and people already in another running push.
import { campaignWindow, type CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

export function audienceFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  if (facts.audienceError) {
    return [
      {
        code: 'audience_invalid',
        severity: 'blocking',
        path: 'audience',
        message: `the audience cannot be evaluated: ${facts.audienceError}`,
      },
    ];
  }
  const a = facts.audience;
  if (!a) return [];
  if (a.count === 0) {
    return [
      {
        code: 'audience_empty',
        severity: 'blocking',
        path: 'audience',
        message:
          'the audience is empty: no reachable contact matches the segment after exclusions and suppressions',
      },
    ];
  }
  const out: Finding[] = [];
  const threshold = facts.settings.broad_audience_share;
  if (!a.hasCondition) {
    out.push({
      code: 'audience_too_broad',
      severity: 'warning',
      path: 'audience',
      message: `the audience has no condition: all ${a.count} reachable contacts would be enrolled; narrow it with a segment`,
    });
  } else if (a.shareOfReachable > threshold) {
    out.push({
      code: 'audience_too_broad',
      severity: 'warning',
      path: 'audience.segment',
      message: `the audience is ${pct(a.shareOfReachable)} of reachable contacts (${a.count} of ${a.reachable}), above the workspace threshold of ${pct(threshold)}`,
    });
  }
  return out;
}

export function overlapFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const a = facts.audience;
  if (!a || a.count === 0) return [];
  const w = campaignWindow(spec);
  const start = Math.max(w?.start ?? facts.now, facts.now);
  const end = w?.end ?? Number.POSITIVE_INFINITY;
  const out: Finding[] = [];
  for (const o of facts.overlaps) {
    if (o.campaignId === spec.id || o.sharedContacts <= 0) continue;
    const oStart = o.window?.start ?? Number.NEGATIVE_INFINITY;
    const oEnd = o.window?.end ?? Number.POSITIVE_INFINITY;
    if (oEnd <= start || oStart >= end) continue; // their touches fall on other days
    out.push({
      code: 'audience_overlap',
      severity: 'warning',
      path: 'audience',
      message: `${o.sharedContacts} contacts (${pct(o.sharedContacts / a.count)} of the audience) are already enrolled in the running campaign "${o.name}" (${o.campaignId}) during the same days; the frequency caps will defer one campaign's touches`,
    });
  }
  return out;
}
