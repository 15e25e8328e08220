// Cadence guardrails: the sequence fits in the window, also once the workspace frequency caps space it out.
import { parseDelay, type Delay } from '../../planning/delay.js';
import { campaignWindow, type CampaignSpec } from '../campaign.js';
import type { Finding, LintFacts } from './types.js';

const HOURS: Record<Delay['unit'], number> = {
  minutes: 1 / 60,
  hours: 1,
  days: 24,
  business_days: 24 * (7 / 5),
};

/**
 * A step delay in hours, read by the planning module's parser (the one the engine uses). Business days
 * count as 7/5 calendar days: a planning estimate (the engine places real touches with the workspace
 * calendar), close enough to compare against a window.
 */
export function delayHours(delay: string): number {
  try {
    const d = parseDelay(delay);
    return d.amount * HOURS[d.unit];
  } catch {
    return 0; // the schema has already refused a delay the parser cannot read
  }
}

const days = (hours: number): string => `${Math.round((hours / 24) * 10) / 10} days`;

export function cadenceFindings(spec: CampaignSpec, facts: LintFacts): Finding[] {
  const w = campaignWindow(spec);
  if (!w || w.end === null || spec.sequence.length === 0) return [];
  const windowHours = (w.end - w.start) / 3_600_000;
  const out: Finding[] = [];

  const rawHours = spec.sequence.reduce((sum, s) => sum + delayHours(s.delay), 0);
  if (rawHours > windowHours) {
    out.push({
      code: 'sequence_longer_than_window',
      severity: 'warning',
      path: 'sequence',
      message: `the sequence's delays add up to ${days(rawHours)} but the window is ${days(windowHours)}: contacts enrolled at the start will not get the last steps`,
    });
  }

  // Place each counted touch on the first day the caps allow; the next delay runs from there.
  const { per_day: perDay, per_7_days: per7, exempt_channels: exempt } = facts.settings.caps;
  const placed: number[] = [];
  let t = 0;
  let counted = 0;
  for (const step of spec.sequence) {
    t += delayHours(step.delay);
    if (exempt.includes(step.channel)) continue;
    counted++;
    let day = Math.floor(t / 24);
    const full = (d: number): boolean =>
      placed.filter((p) => p === d).length >= perDay ||
      placed.filter((p) => p > d - 7 && p <= d).length >= per7;
    while (full(day)) day++;
    if (day > Math.floor(t / 24)) t = day * 24;
    placed.push(day);
  }
  const lastDay = placed.length ? Math.max(...placed) : 0;
  if (lastDay * 24 > windowHours && rawHours <= windowHours) {
    out.push({
      code: 'frequency_cap_exceeded',
      severity: 'warning',
      path: 'sequence',
      message: `${counted} touches per contact do not fit the window under the workspace caps (${perDay} per day, ${per7} per 7 days): the last would land on day ${lastDay + 1} of a ${days(windowHours)} window and be skipped`,
    });
  }
  return out;
}
