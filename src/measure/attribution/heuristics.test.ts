import { describe, expect, it } from 'vitest';
import { DAY_MS, firstTouch, lastTouch, linear, positionBased, timeDecay } from './heuristics.js';
import { toPathSet, type AttributionPath, type ChannelCredit } from './paths.js';

const byChannel = (credits: ChannelCredit[]): Record<string, number> =>
  Object.fromEntries(credits.map((c) => [c.channel, c.conversions]));
const valueByChannel = (credits: ChannelCredit[]): Record<string, number> =>
  Object.fromEntries(credits.map((c) => [c.channel, c.value]));
const path = (channels: string, conversions = 1, value = 0, nulls = 0): AttributionPath => ({
  channels: channels.split(' > '),
  conversions,
  value,
  nulls,
});

describe('first and last touch', () => {
  // Source: jmwoloso/pychattr README (a Python port of ChannelAttribution's heuristic_models), "Heuristic Model"
  // example: paths A>B>A>B>B>A, A>B>B>A>A, A>A with one conversion each print first_touch_conversions A 3.0, B 0.0.
  const set = toPathSet([path('A > B > A > B > B > A'), path('A > B > B > A > A'), path('A > A')]);
  it('credits the first channel (pychattr README example)', () => {
    expect(byChannel(firstTouch(set))).toEqual({ A: 3, B: 0 });
  });
  // Same example: every path ends in A, so last touch is A 3, B 0 by definition of last touch.
  it('credits the last channel', () => {
    expect(byChannel(lastTouch(set))).toEqual({ A: 3, B: 0 });
  });
  it('moves value with the credit', () => {
    const s = toPathSet([path('x > y', 2, 10), path('y > x', 1, 4)]);
    expect(valueByChannel(firstTouch(s))).toEqual({ x: 10, y: 4 });
    expect(valueByChannel(lastTouch(s))).toEqual({ x: 4, y: 10 });
  });
});

describe('linear', () => {
  // ChannelAttribution heuristic_models_cpp (DavideAltomare/ChannelAttribution, python/src/cypack/functions.cpp)
  // adds conversions/path_length once per occurrence (mp0_linear_conv[channel] += vc[i] for each touch, then
  // divides by n_path_length). By hand: a > b > a with 3 conversions and value 6 gives a 2·3/3 = 2, b 3/3 = 1;
  // value a 4, b 2.
  it('counts a repeated channel once per occurrence, as ChannelAttribution does', () => {
    const credits = linear(toPathSet([path('a > b > a', 3, 6)]));
    expect(byChannel(credits)).toEqual({ a: 2, b: 1 });
    expect(valueByChannel(credits)).toEqual({ a: 4, b: 2 });
  });
  // pychattr example above by hand: A>B>A>B>B>A → A 3/6, B 3/6; A>B>B>A>A → A 3/5, B 2/5; A>A → A 1.
  it('sums per-path shares', () => {
    const credits = linear(
      toPathSet([path('A > B > A > B > B > A'), path('A > B > B > A > A'), path('A > A')]),
    );
    expect(byChannel(credits).A).toBeCloseTo(0.5 + 0.6 + 1, 12);
    expect(byChannel(credits).B).toBeCloseTo(0.5 + 0.4, 12);
  });
  it('gives nothing for paths that did not convert', () => {
    expect(byChannel(linear(toPathSet([path('a', 0, 0, 5), path('b', 1)])))).toEqual({ a: 0, b: 1 });
  });
});

describe('position-based', () => {
  // Google Ads API reference, AttributionModelEnum GOOGLE_SEARCH_ATTRIBUTION_POSITION_BASED
  // (developers.google.com/google-ads/api/reference/rpc/v7/AttributionModelEnum.AttributionModel): "Attributes 40%
  // of the credit for a conversion to its first and last clicks. Remaining 20% is evenly distributed across all
  // other clicks." Four touches, 10 conversions: 4, 1, 1, 4.
  it('gives 40/20/40 on longer paths', () => {
    const c = byChannel(positionBased(toPathSet([path('a > b > c > d', 10)])));
    expect(c.a).toBeCloseTo(4, 12);
    expect(c.b).toBeCloseTo(1, 12);
    expect(c.c).toBeCloseTo(1, 12);
    expect(c.d).toBeCloseTo(4, 12);
  });
  it('splits two-touch paths 50/50 and gives a single touch everything', () => {
    expect(byChannel(positionBased(toPathSet([path('a > b', 2), path('c', 3)])))).toEqual({
      a: 1,
      b: 1,
      c: 3,
    });
  });
  it('rejects an end share above one half', () => {
    expect(() => positionBased(toPathSet([path('a')]), { endShare: 0.6 })).toThrow(/endShare/);
  });
});

describe('time decay', () => {
  // Google Ads Help, "About attribution models" (support.google.com/google-ads/answer/6259715): "Credit is
  // distributed using a 7-day half-life. In other words, an ad interaction 8 days before a conversion gets half
  // as much credit as an ad interaction 1 day before a conversion." Two touches 8 and 1 days old: 1/3 and 2/3.
  it('halves the credit every 7 days by default (Google Ads example)', () => {
    const set = toPathSet([
      {
        channels: ['display', 'search'],
        conversions: 3,
        value: 30,
        nulls: 0,
        touchAgesMs: [8 * DAY_MS, DAY_MS],
      },
    ]);
    const credits = timeDecay(set);
    expect(byChannel(credits).display).toBeCloseTo(1, 12);
    expect(byChannel(credits).search).toBeCloseTo(2, 12);
    expect(valueByChannel(credits).search).toBeCloseTo(20, 12);
  });
  // Without touch ages touches are one day apart (decision 0003): with a 1-day half-life, a > b > c weighs
  // 1/4, 1/2, 1 → 1/7, 2/7, 4/7.
  it('takes touches as one day apart when the path has no times', () => {
    const c = byChannel(timeDecay(toPathSet([path('a > b > c', 7)]), { halfLifeMs: DAY_MS }));
    expect(c.a).toBeCloseTo(1, 12);
    expect(c.b).toBeCloseTo(2, 12);
    expect(c.c).toBeCloseTo(4, 12);
  });
  it('stays finite for touches years old', () => {
    const set = toPathSet([
      { channels: ['a', 'b'], conversions: 1, value: 0, nulls: 0, touchAgesMs: [1e6 * DAY_MS, 1e6 * DAY_MS] },
    ]);
    expect(byChannel(timeDecay(set))).toEqual({ a: 0.5, b: 0.5 });
  });
  it('rejects a non-positive half-life', () => {
    expect(() => timeDecay(toPathSet([path('a')]), { halfLifeMs: 0 })).toThrow(/halfLifeMs/);
  });
});
