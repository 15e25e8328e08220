import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonDiff } from './campaign-diff.js';

describe('campaign diff', () => {
  it('lists changed, added and removed leaves by dotted path', () => {
    const before = { goal: { target: 100, event: 'demo' }, sequence: [{ id: 'a' }, { id: 'b' }], x: 1 };
    const after = { goal: { target: 120, event: 'demo' }, sequence: [{ id: 'a' }], y: [1] };
    expect(jsonDiff(before, after)).toEqual([
      { path: 'goal.target', before: 100, after: 120 },
      { path: 'sequence.1', before: { id: 'b' } },
      { path: 'x', before: 1 },
      { path: 'y', after: [1] },
    ]);
  });

  it('is empty for equal values whatever the key order', () => {
    expect(jsonDiff({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toEqual([]);
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });
});
