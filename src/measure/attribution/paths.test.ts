import { describe, expect, it } from 'vitest';
import { BatonError } from '../../domain/errors.js';
import { parsePathsFile } from './paths-file.js';
import { toPathSet, totalsOf } from './paths.js';

function errorOf(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BatonError) return e;
    throw e;
  }
  throw new Error('expected a BatonError');
}

describe('toPathSet', () => {
  it('maps channel names to dense ids in order of appearance', () => {
    const set = toPathSet([
      { channels: ['b', 'a', 'b'], conversions: 1, value: 2, nulls: 3 },
      { channels: [' a '], conversions: 0, value: 0, nulls: 1 },
    ]);
    expect(set.channels).toEqual(['b', 'a']);
    expect(Array.from(set.touches)).toEqual([0, 1, 0, 1]);
    expect(Array.from(set.offsets)).toEqual([0, 3, 4]);
    expect(totalsOf(set)).toEqual({ conversions: 1, value: 2, nulls: 4 });
  });
  it.each([
    [[], /no paths/],
    [[{ channels: [], conversions: 1, value: 0, nulls: 0 }], /paths\.0\.channels: a path needs at least one/],
    [
      [{ channels: ['a'], conversions: -1, value: 0, nulls: 0 }],
      /paths\.0\.conversions: must not be negative/,
    ],
    [[{ channels: ['a'], conversions: 1, value: NaN, nulls: 0 }], /paths\.0\.value: must be a number/],
    [[{ channels: ['a'], conversions: 0, value: 5, nulls: 1 }], /no conversions/],
    [[{ channels: ['a', ''], conversions: 1, value: 0, nulls: 0 }], /channel name is empty/],
    [[{ channels: ['a'], conversions: 1, value: 0, nulls: 0, touchAgesMs: [1, 2] }], /2 ages for 1 touches/],
  ])('rejects bad input %#', (paths, message) => {
    const e = errorOf(() => toPathSet(paths));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(message);
  });
});

describe('parsePathsFile', () => {
  it('reads the ChannelAttribution format with a header', () => {
    const set = parsePathsFile(
      'path;total_conversions;total_conversion_value;total_null\r\neta > iota > eta;1;0.5;3\r\niota;0;0;2\r\n',
    );
    expect(set.channels).toEqual(['eta', 'iota']);
    expect(Array.from(set.touches)).toEqual([0, 1, 0, 1]);
    expect(Array.from(set.conversions)).toEqual([1, 0]);
    expect(Array.from(set.values)).toEqual([0.5, 0]);
    expect(Array.from(set.nulls)).toEqual([3, 2]);
  });
  it('reads comma-separated files, columns by header name, and missing optional columns', () => {
    const set = parsePathsFile('total_null,path,total_conversions\n2,"a>b",1\n');
    expect(set.channels).toEqual(['a', 'b']);
    expect(Array.from(set.nulls)).toEqual([2]);
    expect(Array.from(set.values)).toEqual([0]);
  });
  it('reads files without a header in the standard column order', () => {
    const set = parsePathsFile('a > b;2;4;1\n');
    expect(Array.from(set.conversions)).toEqual([2]);
    expect(Array.from(set.values)).toEqual([4]);
  });
  it.each([
    ['', /empty/],
    ['\n\n', /empty/],
    ['path;total_conversions\n', /no paths/],
    ['path;nulls\na;1\n', /no total_conversions column/],
    ['path;total_conversions\na > > b;1\n', /line 2: the path "a > > b" has an empty channel/],
    ['path;total_conversions\n;1\n', /line 2: the path is empty/],
    ['path;total_conversions\na;x\n', /line 2: total_conversions is "x", not a number/],
    [
      'path;total_conversions;total_conversion_value;total_null\na;1;0;-2\n',
      /line 2.*nulls: must not be negative/,
    ],
  ])('rejects %j', (text, message) => {
    const e = errorOf(() => parsePathsFile(text));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(message);
  });
});
