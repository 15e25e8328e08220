import { describe, expect, it } from 'vitest';
import { campaignSchema, type CampaignInput, type CampaignSpec } from '../campaign.js';
import { workspaceSettings } from '../workspace-settings.js';
import { lint, FINDING_CODES, type FindingCode, type LintFacts, type RenderCheck } from './index.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

const BASE: CampaignInput = {
  id: 'q1-launch',
  name: 'Q1 launch',
  kind: 'campaign',
  objective: 'launch',
  goal: { metric: 'conversions', event: 'demo_booked', target: 20, lookback_days: 30 },
  window: { start: '2027-01-12T09:00', end: '2027-02-23T17:00', timezone: 'UTC' },
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['email', 'task'],
  sequence: [
    { id: 'intro', channel: 'email', delay: '0d', subject: 'Hi', template: 'templates/intro.mjml' },
    { id: 'call', channel: 'task', delay: '3bd', task: { type: 'call' }, when: { opened: 'intro' } },
  ],
};

function render(over: Partial<RenderCheck> = {}): RenderCheck {
  return {
    path: 'sequence.0.template',
    stepIndex: 0,
    ref: 'templates/intro.mjml',
    field: 'template',
    notFound: false,
    compileError: null,
    failures: [],
    missingVariables: [],
    hasUnsubscribeLink: true,
    sampled: 5,
    ...over,
  };
}

function facts(over: Partial<LintFacts> = {}): LintFacts {
  return {
    now: NOW,
    settings: workspaceSettings({}),
    audience: {
      count: 100,
      reachable: 1000,
      shareOfReachable: 0.1,
      hasCondition: true,
      goalBaselineRate: null,
    },
    goalEventSeen: true,
    overlaps: [],
    renders: [render()],
    ...over,
  };
}

function spec(over: Partial<CampaignInput> = {}): CampaignSpec {
  return campaignSchema.parse({ ...BASE, ...over });
}

function codes(s: CampaignSpec, f: LintFacts): FindingCode[] {
  return lint(s, f).map((x) => x.code);
}

/** For each guardrail: an input that triggers it and a close one that does not. */
const CASES: Array<{
  code: FindingCode;
  triggers: () => [CampaignSpec, LintFacts];
  passes: () => [CampaignSpec, LintFacts];
}> = [
  // Journey stages (src/domain/guardrails/stage.ts): the default map's stage ids.
  {
    code: 'stage_unknown',
    triggers: () => [spec({ stage: { targets: 'evaluation' } }), facts({ journey: JOURNEY })],
    passes: () => [spec({ stage: { targets: 'awareness' } }), facts({ journey: JOURNEY })],
  },
  {
    // 70 of 100 in consideration: only 30% in the targeted awareness stage, under the 50% line.
    code: 'audience_outside_stage',
    triggers: () => [spec({ stage: { targets: 'awareness' } }), facts({ journey: JOURNEY })],
    passes: () => [spec({ stage: { targets: 'consideration' } }), facts({ journey: JOURNEY })],
  },
  {
    // A decision-stage demo offer in a campaign aimed at awareness-stage contacts.
    code: 'step_intent_mismatch',
    triggers: () => [stageStep('decision'), facts({ journey: JOURNEY })],
    passes: () => [stageStep('consideration'), facts({ journey: JOURNEY })],
  },
  {
    // 3GPP TS 23.040 §9.2.3.24.1: 160 GSM-7 characters fit one SMS, 161 need two parts.
    code: 'sms_segments',
    triggers: () => [smsSpec('a'.repeat(161)), facts()],
    passes: () => [smsSpec('a'.repeat(160)), facts()],
  },
  {
    // 3GPP TS 23.038 §6.2.1: "é" is in the GSM-7 alphabet, "ê" is not.
    code: 'sms_ucs2',
    triggers: () => [smsSpec('Fête ce soir'), facts()],
    passes: () => [smsSpec('Café ce soir'), facts()],
  },
  {
    code: 'goal_missing',
    triggers: () => [spec({ goal: undefined }), facts()],
    passes: () => [spec(), facts()],
  },
  {
    // The schema refuses a goal without a target in files; lint also guards partial drafts (UI, API).
    code: 'goal_target_missing',
    triggers: () => {
      const s = spec();
      return [{ ...s, goal: { ...s.goal!, target: undefined as unknown as number } }, facts()];
    },
    passes: () => [spec(), facts()],
  },
  {
    code: 'goal_lookback_missing',
    triggers: () => {
      const s = spec();
      return [{ ...s, goal: { ...s.goal!, lookback_days: undefined as unknown as number } }, facts()];
    },
    passes: () => [spec(), facts()],
  },
  {
    code: 'goal_event_unseen',
    triggers: () => [spec(), facts({ goalEventSeen: false })],
    passes: () => [spec(), facts({ goalEventSeen: true })],
  },
  {
    code: 'window_end_missing',
    triggers: () => [spec({ window: { start: '2027-01-12T09:00', timezone: 'UTC' } }), facts()],
    // An always-on program has no end date by design.
    passes: () => [
      spec({ kind: 'always-on', window: { start: '2027-01-12T09:00', timezone: 'UTC' } }),
      facts(),
    ],
  },
  {
    code: 'window_ended',
    triggers: () => [spec(), facts({ now: Date.parse('2027-03-01T00:00:00Z') })],
    passes: () => [spec(), facts({ now: Date.parse('2027-02-23T16:59:00Z') })],
  },
  {
    code: 'audience_invalid',
    triggers: () => [spec(), facts({ audience: null, audienceError: 'list "customers" does not exist' })],
    passes: () => [spec(), facts({ audienceError: null })],
  },
  {
    code: 'audience_empty',
    triggers: () => [spec(), facts({ audience: { ...facts().audience!, count: 0, shareOfReachable: 0 } })],
    passes: () => [spec(), facts({ audience: { ...facts().audience!, count: 1, shareOfReachable: 0.001 } })],
  },
  {
    code: 'audience_too_broad',
    triggers: () => [
      spec(),
      facts({ audience: { ...facts().audience!, count: 600, shareOfReachable: 0.6 } }),
    ],
    passes: () => [spec(), facts({ audience: { ...facts().audience!, count: 500, shareOfReachable: 0.5 } })],
  },
  {
    code: 'step_channel_undeclared',
    triggers: () => [spec({ channels: ['email'] }), facts()],
    passes: () => [spec({ channels: ['email', 'task'] }), facts()],
  },
  {
    code: 'channel_unused',
    triggers: () => [spec({ channels: ['email', 'task', 'ads'] }), facts()],
    passes: () => [spec({ channels: ['email', 'task'] }), facts()],
  },
  {
    code: 'step_content_missing',
    triggers: () => [
      spec({ sequence: [{ id: 'intro', channel: 'email', subject: 'Hi' }], channels: ['email'] }),
      facts({ renders: [] }),
    ],
    passes: () => [
      spec({
        sequence: [{ id: 'intro', channel: 'email', subject: 'Hi', body: 'x {{ links.unsubscribe }}' }],
        channels: ['email'],
      }),
      facts({ renders: [render({ path: 'sequence.0.body', ref: 'inline', field: 'body' })] }),
    ],
  },
  {
    code: 'template_not_found',
    triggers: () => [spec(), facts({ renders: [render({ notFound: true })] })],
    passes: () => [spec(), facts()],
  },
  {
    code: 'template_render_failed',
    triggers: () => [
      spec(),
      facts({ renders: [render({ failures: [{ contactId: 'ct_1', message: 'boom' }] })] }),
    ],
    passes: () => [spec(), facts()],
  },
  {
    code: 'template_variable_missing',
    triggers: () => [spec(), facts({ renders: [render({ missingVariables: ['contact.nickname'] })] })],
    passes: () => [spec(), facts({ renders: [render({ missingVariables: [] })] })],
  },
  {
    code: 'unsubscribe_link_missing',
    triggers: () => [spec(), facts({ renders: [render({ hasUnsubscribeLink: false })] })],
    // A transactional email needs no unsubscribe link.
    passes: () => {
      const s = spec();
      return [
        {
          ...s,
          sequence: s.sequence.map((st, i) => (i === 0 ? { ...st, purpose: 'transactional' as const } : st)),
        },
        facts({ renders: [render({ hasUnsubscribeLink: false })] }),
      ];
    },
  },
  {
    code: 'sequence_longer_than_window',
    triggers: () => [
      spec({ window: { start: '2027-01-12T09:00', end: '2027-01-13T09:00', timezone: 'UTC' } }),
      facts(),
    ],
    // 3 business days ≈ 4.2 calendar days: fits in a 5-day window.
    passes: () => [
      spec({ window: { start: '2027-01-12T09:00', end: '2027-01-17T09:00', timezone: 'UTC' } }),
      facts(),
    ],
  },
  {
    code: 'frequency_cap_exceeded',
    // Four emails on day 0 in a 3-day window: the 1-per-day cap pushes the last to day 4.
    triggers: () => [
      spec({
        window: { start: '2027-01-12T09:00', end: '2027-01-15T09:00', timezone: 'UTC' },
        channels: ['email'],
        sequence: ['a', 'b', 'c', 'd'].map((id) => ({ id, channel: 'email' as const, template: 't.mjml' })),
      }),
      facts({ renders: [] }),
    ],
    passes: () => [
      spec({
        window: { start: '2027-01-12T09:00', end: '2027-01-16T09:00', timezone: 'UTC' },
        channels: ['email'],
        sequence: ['a', 'b', 'c'].map((id) => ({ id, channel: 'email' as const, template: 't.mjml' })),
      }),
      facts({ renders: [] }),
    ],
  },
  {
    code: 'audience_overlap',
    triggers: () => [
      spec(),
      facts({
        overlaps: [
          {
            campaignId: 'nurture',
            name: 'Nurture',
            sharedContacts: 30,
            window: { start: Date.parse('2027-01-01T00:00:00Z'), end: null },
          },
        ],
      }),
    ],
    // Same people, but that campaign ends before this one starts.
    passes: () => [
      spec(),
      facts({
        overlaps: [
          {
            campaignId: 'old',
            name: 'Old',
            sharedContacts: 30,
            window: { start: Date.parse('2027-01-01T00:00:00Z'), end: Date.parse('2027-01-10T00:00:00Z') },
          },
        ],
      }),
    ],
  },
  {
    // R's stats::power.prop.test documentation examples (two-sided, sig.level 0.05, p1 = .50, p2 = .75):
    //   power.prop.test(n = 50, p1 = .50, p2 = .75)      → power = 0.740  (50 per group is below 80% power)
    //   power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.7       (77 per group reaches 90% ≥ 80%)
    // A 10% holdout of 500 contacts is 50 people; of 770 it is 77.
    code: 'holdout_too_small',
    triggers: () => [
      spec({
        goal: { metric: 'rate', event: 'demo_booked', target: 0.75, lookback_days: 30 },
        measurement: { holdout_percent: 10 },
      }),
      facts({
        audience: {
          count: 500,
          reachable: 5000,
          shareOfReachable: 0.1,
          hasCondition: true,
          goalBaselineRate: 0.5,
        },
      }),
    ],
    passes: () => [
      spec({
        goal: { metric: 'rate', event: 'demo_booked', target: 0.75, lookback_days: 30 },
        measurement: { holdout_percent: 10 },
      }),
      facts({
        audience: {
          count: 770,
          reachable: 7700,
          shareOfReachable: 0.1,
          hasCondition: true,
          goalBaselineRate: 0.5,
        },
      }),
    ],
  },
  {
    code: 'test_without_variants',
    triggers: () => [
      spec({
        sequence: [{ ...BASE.sequence![0]!, test: { share: 0.2, decide_after: '1d' } }, BASE.sequence![1]!],
      }),
      facts(),
    ],
    passes: () => [spec(), facts()],
  },
  {
    // R: power.prop.test(p1 = .5, p2 = .6, power = .8) → n = 387.3 per group (388 contacts per variant).
    // A 20% share of 3,870 contacts split 1:1 is 387 per variant (one short); of 3,880 it is 388.
    code: 'test_share_too_small',
    triggers: () => [abTest(0.2), facts({ audience: { ...facts().audience!, count: 3870 } })],
    passes: () => [abTest(0.2), facts({ audience: { ...facts().audience!, count: 3880 } })],
  },
];

function abTest(share: number): CampaignSpec {
  return spec({
    sequence: [
      {
        id: 'intro',
        channel: 'email',
        delay: '0d',
        template: 'templates/intro.mjml',
        variants: [
          { id: 'a', subject: 'Hi' },
          { id: 'b', subject: 'Hello' },
        ],
        test: { share, decide_after: '1d' },
      },
      BASE.sequence![1]!,
    ],
  });
}

const JOURNEY = {
  stages: ['awareness', 'consideration', 'decision', 'customer'],
  audienceByStage: { awareness: 30, consideration: 70 },
  audienceTotal: 100,
};

/** Aimed at awareness-stage contacts, with the first step's content made for `intent`. */
function stageStep(intent: string): CampaignSpec {
  return spec({
    stage: { targets: 'awareness' },
    sequence: [{ ...BASE.sequence![0]!, stage: { intent } }, BASE.sequence![1]!],
  });
}

function smsSpec(body: string): CampaignSpec {
  return spec({
    channels: ['email', 'task', 'sms'],
    sequence: [...BASE.sequence!, { id: 'text', channel: 'sms', delay: '1d', body }],
  });
}

describe('campaign guardrails', () => {
  it('find nothing wrong with a well-formed campaign', () => {
    expect(lint(spec(), facts())).toEqual([]);
  });

  it('cover every finding code with a case', () => {
    expect(CASES.map((c) => c.code).sort()).toEqual([...FINDING_CODES].sort());
  });

  describe.each(CASES)('$code', ({ code, triggers, passes }) => {
    it('triggers on the faulty input, with a path and a message', () => {
      const [s, f] = triggers();
      const found = lint(s, f).filter((x) => x.code === code);
      expect(found.length).toBeGreaterThan(0);
      for (const x of found) {
        expect(x.path).not.toBe('');
        expect(x.message.length).toBeGreaterThan(10);
      }
    });
    it('stays quiet on the close, correct input', () => {
      const [s, f] = passes();
      expect(codes(s, f)).not.toContain(code);
    });
  });

  it('treats a campaign with no audience condition as too broad, whatever its share', () => {
    const f = facts({
      audience: {
        count: 10,
        reachable: 1000,
        shareOfReachable: 0.01,
        hasCondition: false,
        goalBaselineRate: null,
      },
    });
    expect(lint(spec({ audience: undefined }), f)).toContainEqual(
      expect.objectContaining({ code: 'audience_too_broad', severity: 'warning' }),
    );
  });

  it('uses the workspace threshold for "too broad"', () => {
    const f = facts({
      settings: workspaceSettings({ broad_audience_share: 0.05 }),
      audience: {
        count: 100,
        reachable: 1000,
        shareOfReachable: 0.1,
        hasCondition: true,
        goalBaselineRate: null,
      },
    });
    expect(codes(spec(), f)).toContain('audience_too_broad');
  });

  it('names the other campaign in an overlap warning', () => {
    const [s, f] = CASES.find((c) => c.code === 'audience_overlap')!.triggers();
    expect(lint(s, f).find((x) => x.code === 'audience_overlap')?.message).toContain('"Nurture"');
  });

  it('lists blocking findings first, with the right severities', () => {
    const found = lint(spec({ goal: undefined, channels: ['email', 'task', 'ads'] }), facts());
    expect(found.map((x) => [x.code, x.severity])).toEqual([
      ['goal_missing', 'blocking'],
      ['channel_unused', 'warning'],
    ]);
  });
});
