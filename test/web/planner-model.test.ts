// The planner's form ↔ spec mapping (web/src/planner/spec-model.ts): paths into the spec, segment rules as
// rows and back, step conditions, the API's issues by field, and why Launch is disabled.
import { describe, expect, it } from 'vitest';
import * as domain from '../../src/domain/campaign.js';
import { ACCOUNT_FIELDS, CONTACT_FIELDS, OPERATORS, parseRule } from '../../src/domain/segment.js';
import {
  ACCOUNT_FIELDS as WEB_ACCOUNT_FIELDS,
  ATTRIBUTION_MODELS,
  CHANNELS,
  CONTACT_FIELDS as WEB_CONTACT_FIELDS,
  GOAL_METRICS,
  OBJECTIVES,
  OPERATORS as WEB_OPERATORS,
  RawRuleError,
  choiceToWhen,
  excludeText,
  issuesByPath,
  launchBlocker,
  nextStepId,
  numberValue,
  parseExclude,
  parseValue,
  previewBody,
  rootToRule,
  ruleToRoot,
  ruleToRow,
  rowToRule,
  setIn,
  updateRow,
  whenToChoice,
  type SegRow,
} from '../../web/src/planner/spec-model.js';

describe('planner spec model', () => {
  it('offers exactly the values the campaign and segment schemas accept', () => {
    expect(CHANNELS).toEqual(domain.CHANNELS);
    expect(OBJECTIVES).toEqual(domain.OBJECTIVES);
    expect(GOAL_METRICS).toEqual(domain.GOAL_METRICS);
    expect(ATTRIBUTION_MODELS).toEqual(domain.ATTRIBUTION_MODELS);
    expect(WEB_OPERATORS).toEqual(OPERATORS);
    expect(WEB_CONTACT_FIELDS).toEqual(CONTACT_FIELDS);
    expect(WEB_ACCOUNT_FIELDS).toEqual(ACCOUNT_FIELDS);
  });

  it('sets values by path without touching the original, and a cleared field leaves no empty object', () => {
    const spec = { id: 'x', goal: { metric: 'conversions' }, sequence: [{ id: 'a' }, { id: 'b' }] };
    const next = setIn(spec, ['goal', 'target'], 5);
    expect(next).toEqual({ id: 'x', goal: { metric: 'conversions', target: 5 }, sequence: spec.sequence });
    expect(spec.goal).toEqual({ metric: 'conversions' });
    expect(setIn(spec, ['goal', 'metric'], '')).toEqual({ id: 'x', sequence: spec.sequence });
    expect(setIn(spec, ['sequence', 1, 'delay'], '2d').sequence).toEqual([
      { id: 'a' },
      { id: 'b', delay: '2d' },
    ]);
    expect(setIn({}, ['budget', 'amount'], 100)).toEqual({ budget: { amount: 100 } });
  });

  it('reads number fields as numbers, keeps text that is not one for the API to name', () => {
    expect(numberValue(' 12 ')).toBe(12);
    expect(numberValue('0.5')).toBe(0.5);
    expect(numberValue('')).toBeUndefined();
    expect(numberValue('ten')).toBe('ten');
    // Half-typed decimals stay text so the next key lands where the person is typing.
    expect(numberValue('0.')).toBe('0.');
    expect(numberValue('-')).toBe('-');
  });

  it('groups the API issues by spec path, without the request-body prefix', () => {
    const m = issuesByPath([
      { path: 'body.priority', message: 'priority is 0 to 100' },
      { path: 'goal.target', message: 'must be a positive number' },
      { path: 'body.goal.target', message: 'again' },
      { path: 'body', message: 'whole body' },
    ]);
    expect(m.get('priority')).toEqual(['priority is 0 to 100']);
    expect(m.get('goal.target')).toEqual(['must be a positive number', 'again']);
    expect(m.get('')).toEqual(['whole body']);
  });

  it('types condition values by the field: text, numbers, booleans, lists and days', () => {
    expect(parseValue('lifecycle_stage', 'eq', 'lead')).toBe('lead');
    expect(parseValue('lifecycle_stage', 'eq', '10')).toBe('10');
    expect(parseValue('account.size', 'gte', '50')).toBe(50);
    expect(parseValue('sms_consent', 'eq', 'true')).toBe(true);
    expect(parseValue('lifecycle_stage', 'in', 'lead, mql ,')).toEqual(['lead', 'mql']);
    expect(parseValue('account.size', 'in', '10, 20')).toEqual([10, 20]);
    expect(parseValue('attributes.plan', 'eq', 'pro')).toBe('pro');
    expect(parseValue('attributes.seats', 'gt', '3')).toBe(3);
    expect(parseValue('attributes.beta', 'eq', 'false')).toBe(false);
    expect(parseValue('created_at', 'within_last', '30')).toBe(30);
    expect(parseValue('phone', 'exists', '')).toBeUndefined();
    expect(parseValue('phone', 'exists', 'false')).toBe(false);
  });

  // The DESIGN.md example audience, and one with every construct the rows can say.
  const design = {
    all: [
      { attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] },
      { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
      { event: 'pricing_page_viewed', within_days: 60, count_gte: 1 },
    ],
  };
  const everything = {
    any: [
      { not: { list: 'customers' } },
      { segment: 'engaged' },
      { event: 'webinar_attended', did: false, between: { from: '2027-01-01', to: '2027-01-31' } },
      {
        all: [
          { attribute: 'account.size', op: 'gte', value: 50 },
          { attribute: 'phone', op: 'exists' },
        ],
      },
      { not: { any: [{ event: 'unsubscribed', count_lte: 0 }] } },
    ],
  };

  it.each([
    ['the DESIGN.md audience', design],
    ['every construct', everything],
    ['a lone condition', { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }],
  ])('reads %s into rows and writes the same rule back', (_, rule) => {
    const root = ruleToRoot(rule);
    expect(JSON.stringify(root)).not.toContain('"raw"');
    expect(rootToRule(root)).toEqual(rule);
    // The rule the rows write is one the segment validator accepts.
    expect(() => parseRule(rootToRule(root))).not.toThrow();
  });

  it('keeps what the rows cannot say as raw JSON, and writes it back unchanged', () => {
    const where = { event: 'page_viewed', where: [{ property: 'path', op: 'eq', value: '/pricing' }] };
    const doubleNot = { not: { not: { list: 'customers' } } };
    const listUnderEq = { attribute: 'lifecycle_stage', op: 'eq', value: ['lead'] };
    const textNumber = { attribute: 'attributes.code', op: 'eq', value: '42' };
    for (const rule of [where, doubleNot, listUnderEq, textNumber]) {
      const row = ruleToRow(rule);
      expect(
        row.kind === 'raw' || (row.negate && ruleToRow((rule as { not: unknown }).not).kind === 'raw'),
      ).toBe(true);
      expect(rowToRule(row)).toEqual(rule);
    }
    expect(rootToRule(ruleToRoot({ all: [where] }))).toEqual({ all: [where] });
    expect(() => rowToRule({ kind: 'raw', negate: false, text: '{ nope' })).toThrow(RawRuleError);
  });

  it('edits nested rows by index path: add, change and remove', () => {
    let root: SegRow = ruleToRoot(design);
    root = updateRow(root, [2], (r) => (r.kind === 'event' ? { ...r, withinDays: '30' } : r));
    root = updateRow(root, [0], () => null);
    expect(rootToRule(root as SegRow & { kind: 'group' })).toEqual({
      all: [
        { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
        { event: 'pricing_page_viewed', within_days: 30, count_gte: 1 },
      ],
    });
    expect(rootToRule(ruleToRoot(undefined))).toBeUndefined();
  });

  it('maps step conditions to choices and back; anything else is raw', () => {
    expect(whenToChoice(undefined)).toEqual({ kind: 'always' });
    expect(whenToChoice({ opened: 'intro' })).toEqual({
      kind: 'simple',
      negate: false,
      outcome: 'opened',
      step: 'intro',
    });
    const not = whenToChoice({ not: { clicked: 'intro' } });
    expect(not).toEqual({ kind: 'simple', negate: true, outcome: 'clicked', step: 'intro' });
    expect(choiceToWhen(not)).toEqual({ not: { clicked: 'intro' } });
    const both = { all: [{ opened: 'a' }, { not: { replied: 'b' } }] };
    const raw = whenToChoice(both);
    expect(raw.kind).toBe('raw');
    expect(choiceToWhen(raw)).toEqual(both);
    expect(choiceToWhen({ kind: 'raw', text: '{ half' })).toBe('{ half');
    expect(choiceToWhen({ kind: 'always' })).toBeUndefined();
  });

  it('previews the audience with the reach of the campaign channels', () => {
    const spec = {
      channels: ['log', 'sms'],
      audience: { segment: design, enrollment: 'dynamic', exclude: [{ list: 'x' }] },
    };
    expect(previewBody(spec)).toEqual({
      segment: design,
      exclude: [{ list: 'x' }],
      channel: 'sms',
      sample_size: 20,
    });
    expect(previewBody({ channels: ['email', 'sms'] })).toMatchObject({ channel: 'email' });
    expect(previewBody({})).toEqual({ channel: 'none', sample_size: 20 });
  });

  it('says why Launch is disabled, and nothing when it may be pressed', () => {
    expect(launchBlocker({ fieldErrors: 2, blocking: null, checking: false })).toMatch(/2 field error/);
    expect(
      launchBlocker({
        fieldErrors: 0,
        blocking: [{ code: 'goal_missing', message: 'no goal' }],
        checking: false,
      }),
    ).toBe('Launch is disabled: 1 blocking finding(s) must be fixed first (goal_missing).');
    expect(launchBlocker({ fieldErrors: 0, blocking: null, checking: true })).toMatch(/waits/);
    expect(launchBlocker({ fieldErrors: 0, blocking: [], checking: true })).toMatch(/waits/);
    expect(launchBlocker({ fieldErrors: 0, blocking: [], checking: false })).toBeNull();
  });

  it('names a new step after the ones in use', () => {
    expect(nextStepId([])).toBe('step-1');
    expect(nextStepId([{ id: 'step-2' }, { id: 'x' }])).toBe('step-3');
    expect(nextStepId([{ id: 'step-2' }])).toBe('step-3');
  });

  it('writes exclusions as one line (lists by name, saved segments as segment:NAME) and reads them back', () => {
    const exclude = [{ list: 'customers' }, { segment_id: 'churned' }];
    expect(excludeText(exclude)).toBe('customers, segment:churned');
    expect(parseExclude('customers, segment:churned ,')).toEqual(exclude);
    expect(parseExclude('')).toEqual([]);
    expect(excludeText(undefined)).toBe('');
  });
});
