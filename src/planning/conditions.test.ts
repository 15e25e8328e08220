import { describe, expect, it } from 'vitest';
import {
  conditionStepIds,
  evaluateCondition,
  outcomesFromEvents,
  stepConditionSchema,
  type StepCondition,
  type TouchOutcome,
} from './conditions.js';

describe('evaluateCondition', () => {
  const outcomes = new Map<string, Set<TouchOutcome>>([
    ['intro', new Set<TouchOutcome>(['delivered', 'clicked'])],
    ['bump', new Set<TouchOutcome>(['delivered'])],
  ]);

  it.each<[StepCondition, boolean]>([
    [{ delivered: 'intro' }, true],
    [{ clicked: 'intro' }, true],
    [{ opened: 'intro' }, true], // a click proves the open even when the pixel was blocked
    [{ replied: 'intro' }, false],
    [{ opened: 'bump' }, false],
    [{ delivered: 'never-sent' }, false],
    [{ not: { clicked: 'intro' } }, false],
    [{ not: { opened: 'bump' } }, true],
    [{ all: [{ opened: 'intro' }, { delivered: 'bump' }] }, true],
    [{ all: [{ opened: 'intro' }, { opened: 'bump' }] }, false],
    [{ any: [{ replied: 'intro' }, { opened: 'bump' }] }, false],
    [{ any: [{ replied: 'intro' }, { not: { opened: 'bump' } }] }, true],
  ])('%j → %s', (cond, expected) => {
    expect(evaluateCondition(cond, outcomes)).toBe(expected);
    // The same outcomes as a plain object of arrays give the same answer.
    expect(evaluateCondition(cond, { intro: ['delivered', 'clicked'], bump: ['delivered'] })).toBe(expected);
  });

  it('looks up step ids as own keys only', () => {
    expect(evaluateCondition({ opened: 'constructor' }, {})).toBe(false);
    expect(evaluateCondition({ opened: 'toString' }, { intro: ['opened'] })).toBe(false);
  });

  it('treats a reply as opened and delivered', () => {
    expect(evaluateCondition({ opened: 's' }, { s: ['replied'] })).toBe(true);
    expect(evaluateCondition({ delivered: 's' }, { s: ['replied'] })).toBe(true);
    expect(evaluateCondition({ clicked: 's' }, { s: ['replied'] })).toBe(false);
  });
});

describe('stepConditionSchema', () => {
  it('parses nested conditions and lists the steps they name', () => {
    const cond = stepConditionSchema.parse({
      all: [{ opened: 'intro' }, { not: { any: [{ clicked: 'a' }, { replied: 'b' }] } }],
    });
    expect(conditionStepIds(cond)).toEqual(['intro', 'a', 'b']);
  });

  it.each([
    { opened: '' },
    { seen: 'intro' },
    { all: [] },
    { opened: 'a', clicked: 'b' },
    { not: { opened: 1 } },
  ])('rejects %j', (raw) => {
    expect(stepConditionSchema.safeParse(raw).success).toBe(false);
  });
});

describe('outcomesFromEvents', () => {
  it('groups outcome events by step and ignores other event types', () => {
    const o = outcomesFromEvents([
      { stepId: 'intro', type: 'opened' },
      { stepId: 'intro', type: 'unsubscribed' },
      { stepId: 'call', type: 'delivered' },
    ]);
    expect([...o.entries()].map(([k, v]) => [k, [...v]])).toEqual([
      ['intro', ['opened']],
      ['call', ['delivered']],
    ]);
  });
});
