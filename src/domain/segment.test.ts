import { describe, expect, it } from 'vitest';
import { checkRule, checkSegmentReferences, parseDate, parseRule, type KnownSegment } from './segment.js';

/** [case, rule, path of the first issue, words its message must contain] */
const BAD: Array<[string, unknown, string, string]> = [
  [
    'unknown field',
    { attribute: 'favourite_colour', op: 'eq', value: 'red' },
    'attribute',
    'is not a known field',
  ],
  [
    'unknown account field',
    { attribute: 'account.revenue', op: 'gt', value: 1 },
    'attribute',
    'account.industry',
  ],
  ['unknown operator', { attribute: 'email', op: 'like', value: 'x' }, 'op', 'use one of eq, neq'],
  [
    'operator not for the field',
    { attribute: 'email', op: 'gt', value: 'x' },
    'op',
    'does not apply to email',
  ],
  ['wrong value type', { attribute: 'account.size', op: 'eq', value: 'big' }, 'value', 'takes a number'],
  [
    'wrong value type for in',
    { attribute: 'lifecycle_stage', op: 'in', value: 'lead' },
    'value',
    'list of values',
  ],
  ['empty in list', { attribute: 'lifecycle_stage', op: 'in', value: [] }, 'value', 'at least one value'],
  ['mixed in list', { attribute: 'attributes.x', op: 'in', value: ['a', 1] }, 'value', 'not a mix'],
  ['bad date', { attribute: 'created_at', op: 'gt', value: '2027-02-30' }, 'value', 'is not a date'],
  ['not a date at all', { attribute: 'created_at', op: 'gt', value: 'yesterday' }, 'value', 'is not a date'],
  [
    'within_last needs days',
    { attribute: 'created_at', op: 'within_last', value: -3 },
    'value',
    'positive number',
  ],
  ['unknown key', { attribute: 'email', op: 'exists', vale: 1 }, '', 'unknown key "vale"'],
  ['not a rule', { foo: 1 }, '(root)', 'is not a rule'],
  ['empty group', { all: [] }, 'all', 'non-empty list'],
  [
    'nested path',
    { any: [{ not: { attribute: 'x.y', op: 'eq', value: 1 } }] },
    'any.0.not.attribute',
    'known',
  ],
  ['did not with counts', { event: 'e', did: false, count_gte: 2 }, 'did', 'zero times'],
  ['counts upside down', { event: 'e', count_gte: 3, count_lte: 1 }, 'count_lte', 'at least count_gte'],
  [
    'window twice',
    { event: 'e', within_days: 3, between: { from: '2027-01-01', to: '2027-01-02' } },
    'between',
    'either',
  ],
  [
    'between backwards',
    { event: 'e', between: { from: '2027-01-05', to: '2027-01-01' } },
    'between.to',
    'after',
  ],
  [
    'bad property',
    { event: 'e', where: [{ property: 'a b', op: 'eq', value: 1 }] },
    'where.0.property',
    'property',
  ],
  ['empty list ref', { list: '' }, 'list', 'names a list'],
];

describe('segment rule validation', () => {
  it.each(BAD)('refuses %s', (_name, rule, path, words) => {
    const { rule: checked, issues } = checkRule(rule);
    expect(checked).toBeUndefined();
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toContain(words);
  });

  it('prefixes paths and throws invalid_input from parseRule', () => {
    expect(() => parseRule({ all: [{ attribute: 'nope', op: 'eq', value: 1 }] }, 'rule')).toThrow(
      /^rule\.all\.0\.attribute: "nope" is not a known field/,
    );
  });

  it('accepts the design document example and normalises events', () => {
    const rule = parseRule({
      all: [
        { attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] },
        { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
        { event: 'pricing_page_viewed', within_days: 60, count_gte: 1 },
        { event: 'demo_booked', count_lte: 2 },
        { event: 'unsubscribed', did: false, between: { from: '2027-01-01', to: '2027-01-31' } },
      ],
    });
    expect(rule.kind).toBe('all');
    const children = (rule as { children: unknown[] }).children;
    expect(children[2]).toMatchObject({ kind: 'event', min: 1, withinDays: 60 });
    expect(children[3]).toMatchObject({ kind: 'event', min: 0, max: 2 });
    expect(children[4]).toMatchObject({
      kind: 'event',
      min: 0,
      max: 0,
      fromMs: Date.UTC(2027, 0, 1),
      toMs: Date.UTC(2027, 1, 1),
    });
  });

  it('parses dates strictly', () => {
    expect(parseDate('2027-01-31')).toEqual({ ms: Date.UTC(2027, 0, 31), text: '2027-01-31' });
    expect(parseDate('2027-01-31T09:00:00+01:00')?.text).toBe('2027-01-31T08:00:00.000Z');
    expect(parseDate('2027-13-01')).toBeUndefined();
    expect(parseDate('31/01/2027')).toBeUndefined();
  });

  it('names missing segments and cycles with the path through them', () => {
    const a: KnownSegment = { id: 'seg_a', name: 'a', rule: parseRule({ segment: 'b' }) };
    const b: KnownSegment = { id: 'seg_b', name: 'b', rule: parseRule({ any: [{ segment: 'seg_a' }] }) };
    const lookup = (ref: string): KnownSegment | undefined =>
      [a, b].find((s) => s.id === ref || s.name === ref);
    const root = parseRule({ all: [{ segment: 'a' }, { segment: 'zzz' }] }, 'rule');
    const issues = checkSegmentReferences(root, lookup, { name: 'new' });
    expect(issues).toEqual([
      { path: 'rule.all.0.segment', message: expect.stringContaining('(a → b → a)') as unknown },
      { path: 'rule.all.1.segment', message: expect.stringContaining('"zzz"') as unknown },
    ]);
    expect(
      checkSegmentReferences(parseRule({ segment: 'b' }), lookup, { id: 'seg_c', name: 'c' }),
    ).toHaveLength(1);
    const fine = { id: 'seg_d', name: 'd', rule: parseRule({ attribute: 'email', op: 'exists' }) };
    expect(
      checkSegmentReferences(parseRule({ segment: 'd' }), (r) => (r === 'd' ? fine : undefined)),
    ).toEqual([]);
  });
});
