import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSchema, campaignWindow } from './campaign.js';

// The campaign file sketched in shared/DESIGN.md ("Campaign-as-code").
const DESIGN_EXAMPLE = `
id: q1-analytics-launch
name: Q1 analytics add-on launch
kind: campaign
objective: launch
goal: { metric: conversions, event: demo_booked, target: 120, lookback_days: 30, attribution: position_based }
measurement: { holdout_percent: 10 }
window: { start: 2027-01-12T09:00, end: 2027-02-23T17:00, timezone: America/New_York }
priority: 50
budget: { amount: 15000, currency: USD }
audience:
  segment:
    all:
      - { attribute: lifecycle_stage, op: in, value: [lead, mql] }
  exclude: [{ list: customers }]
  accounts: { list: target-accounts-q1 }
  enrollment: snapshot
channels: [email, ads, social, task]
sequence:
  - id: intro
    channel: email
    delay: 0d
    variants:
      - { id: a, weight: 50, subject: "{{ contact.first_name }}, your pipeline in one view", template: templates/intro-a.mjml }
      - { id: b, weight: 50, subject: "See the analytics add-on", template: templates/intro-b.mjml }
  - { id: retarget, channel: ads, delay: 1d, audience: q1-launch-retarget }
  - { id: call, channel: task, delay: 3bd, task: { type: call, assignee: account.owner }, when: { opened: intro } }
  - { id: followup, channel: email, delay: 5bd, when: { not: { clicked: intro } }, template: templates/followup.mjml }
exit_on: [replied, converted, unsubscribed, bounced]
exit_scope: contact
`;

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  const r = campaignSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('campaign schema', () => {
  it('accepts the campaign file of the design document', () => {
    const spec = campaignSchema.parse(parse(DESIGN_EXAMPLE));
    expect(spec.sequence.map((s) => s.id)).toEqual(['intro', 'retarget', 'call', 'followup']);
    // 09:00 in New York on 12 January 2027 is 14:00 UTC (EST, UTC−5).
    expect(campaignWindow(spec)?.start).toBe(Date.parse('2027-01-12T14:00:00Z'));
  });

  it('names duplicate step ids, conditions on later steps, end before start and bad zones', () => {
    const base = parse(DESIGN_EXAMPLE) as Record<string, unknown>;
    const seq = base.sequence as Array<Record<string, unknown>>;
    expect(issuesOf({ ...base, sequence: [seq[0], { ...seq[1], id: 'intro' }] })[0]?.path).toBe(
      'sequence.1.id',
    );
    expect(issuesOf({ ...base, sequence: [{ ...seq[2] }, seq[0]] })[0]).toMatchObject({
      path: 'sequence.0.when',
    });
    expect(
      issuesOf({
        ...base,
        window: { start: '2027-02-01T09:00', end: '2027-01-01T09:00', timezone: 'UTC' },
      })[0]?.path,
    ).toBe('window.end');
    expect(
      issuesOf({ ...base, window: { start: '2027-02-01T09:00', timezone: 'Mars/Olympus' } })[0]?.path,
    ).toBe('window.timezone');
    expect(issuesOf({ ...base, sequence: [{ ...seq[0], delay: '-1d' }] })[0]?.path).toBe('sequence.0.delay');
  });
});
