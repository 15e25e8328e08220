import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markov, type MarkovResult } from './markov.js';
import { parsePathsFile } from './paths-file.js';
import { toPathSet, type AttributionPath } from './paths.js';

const path = (channels: string, conversions: number, nulls = 0, value = 0): AttributionPath => ({
  channels: channels.split(' > '),
  conversions,
  value,
  nulls,
});
const field = (r: MarkovResult, key: 'conversions' | 'value' | 'removalEffect' | 'valueRemovalEffect') =>
  Object.fromEntries(r.channels.map((c) => [c.channel, c[key]]));

describe('Markov removal effect, published examples', () => {
  // Sergey Bryl', "Marketing Multi-Channel Attribution model with R (part 1: Markov chains concept)",
  // analyzecore.com/2016/08/03/attribution-model-r-part-1/ — journeys C1>C2>C3>conversion, C1>null,
  // C2>C3>null. Transitions: start→C1 2/3, start→C2 1/3, C1→C2 1/2, C1→null 1/2, C2→C3 1, C3→conv 1/2,
  // C3→null 1/2. By hand: P(conv) = 2/3·1/2·1·1/2 + 1/3·1·1/2 = 1/3. Without C1: 1/3·1/2 = 1/6 → removal effect
  // 1/2; without C2 or C3 no path converts → 1. Weights 0.5/2.5, 1/2.5, 1/2.5 of the one conversion: 0.2, 0.4, 0.4.
  it('reproduces the three-journey example', () => {
    const r = markov(toPathSet([path('C1 > C2 > C3', 1), path('C1', 0, 1), path('C2 > C3', 0, 1)]), {
      useNulls: true,
    });
    expect(r.conversionProbability).toBeCloseTo(1 / 3, 12);
    const re = field(r, 'removalEffect');
    expect(re.C1).toBeCloseTo(0.5, 12);
    expect(re.C2).toBeCloseTo(1, 12);
    expect(re.C3).toBeCloseTo(1, 12);
    const conv = field(r, 'conversions');
    expect(conv.C1).toBeCloseTo(0.2, 12);
    expect(conv.C2).toBeCloseTo(0.4, 12);
    expect(conv.C3).toBeCloseTo(0.4, 12);
  });

  // Serhii Puzyrov, "Markov Chain Attribution – Simple Explanation Of Removal Effect" (serhiipuzyrov.com, 2019):
  // paths google ads (2 conv), mailing (1), google ads > mailing (1), google ads (0, i.e. a null). Published
  // transitions: start→google ads 0.8, start→mailing 0.2, google ads→conv 0.5, →mailing 0.25, →null 0.25,
  // mailing→conv 1. By hand: P(conv) = 0.8·(0.5 + 0.25·1) + 0.2 = 0.8; without google ads 0.2 → removal effect
  // 0.75; without mailing 0.8·0.5 = 0.4 → 0.5. Four conversions split 0.75:0.5 → 2.4 and 1.6.
  it('reproduces the google ads / mailing example', () => {
    const r = markov(
      toPathSet([
        path('google ads', 2),
        path('mailing', 1),
        path('google ads > mailing', 1),
        path('google ads', 0, 1),
      ]),
      { useNulls: true },
    );
    expect(r.conversionProbability).toBeCloseTo(0.8, 12);
    expect(field(r, 'removalEffect')['google ads']).toBeCloseTo(0.75, 12);
    expect(field(r, 'removalEffect').mailing).toBeCloseTo(0.5, 12);
    expect(field(r, 'conversions')['google ads']).toBeCloseTo(2.4, 12);
    expect(field(r, 'conversions').mailing).toBeCloseTo(1.6, 12);
  });

  // jmwoloso/pychattr README (a port of ChannelAttribution's markov_model): paths A>B>A>B>B>A, A>B>B>A>A, A>A,
  // one conversion each, order 1. Published transition matrix: start→A 1.0, A→B 0.5, A→conv 0.5, B→A 1.0 (repeats
  // collapsed); published simulated removal effects A 1.0000, B 0.5067 and conversions A 1.991106, B 1.008894.
  // Exact by hand: x_A = 0.5 + 0.5·x_B, x_B = x_A → P = 1; without B x_A = 0.5 → removal effect 0.5; without A
  // 0 → 1. Three conversions split 1:0.5 → A 2, B 1 (the published Monte-Carlo figures are within 0.01).
  it('matches the pychattr example exactly where the package simulates', () => {
    const r = markov(
      toPathSet([path('A > B > A > B > B > A', 1), path('A > B > B > A > A', 1), path('A > A', 1)]),
    );
    expect(r.conversionProbability).toBeCloseTo(1, 11);
    expect(field(r, 'removalEffect').A).toBeCloseTo(1, 11);
    expect(field(r, 'removalEffect').B).toBeCloseTo(0.5, 11);
    expect(field(r, 'conversions').A).toBeCloseTo(2, 10);
    expect(field(r, 'conversions').B).toBeCloseTo(1, 10);
    expect(Math.abs(field(r, 'conversions').A! - 1.991106)).toBeLessThan(0.01);
    expect(Math.abs(field(r, 'removalEffect').B! - 0.5067)).toBeLessThan(0.01);
  });
});

describe('Markov semantics', () => {
  // ChannelAttribution collapses consecutive identical states (functions.cpp: `if(ichannel!=ichannel_old)`), so
  // a > a > b is the same journey as a > b at order 1.
  it('collapses consecutive repeats', () => {
    const repeated = markov(toPathSet([path('a > a > b', 2), path('b > b', 1, 3)]), { useNulls: true });
    const plain = markov(toPathSet([path('a > b', 2), path('b', 1, 3)]), { useNulls: true });
    expect(repeated.channels).toEqual(plain.channels);
  });

  // Hand-derived: a>b>c converts, d>b>e does not. Order 1 forgets where b came from: start→a 1/2, start→d 1/2,
  // a→b, d→b, b→c 1/2, b→e 1/2, c→conv, e→null; P = 1/2; without a or d P = 1/4 (removal 1/2), without b or c 0
  // (removal 1), without e 1/2 (removal 0) → credits 1/6, 1/3, 1/3, 1/6, 0. Order 2 remembers it: states (a,b),
  // (b,c), (d,b), (b,e); (a,b) always reaches (b,c) and converts, (d,b) never → a, b, c 1/3 each; d, e nothing.
  it('remembers the previous channel at order 2', () => {
    const set = toPathSet([path('a > b > c', 1), path('d > b > e', 0, 1)]);
    const o1 = field(markov(set, { useNulls: true }), 'conversions');
    expect(o1.a).toBeCloseTo(1 / 6, 12);
    expect(o1.b).toBeCloseTo(1 / 3, 12);
    expect(o1.c).toBeCloseTo(1 / 3, 12);
    expect(o1.d).toBeCloseTo(1 / 6, 12);
    expect(o1.e).toBeCloseTo(0, 12);
    const r2 = markov(set, { order: 2, useNulls: true });
    expect(r2.states).toBe(4);
    const o2 = field(r2, 'conversions');
    expect(o2.a).toBeCloseTo(1 / 3, 12);
    expect(o2.b).toBeCloseTo(1 / 3, 12);
    expect(o2.c).toBeCloseTo(1 / 3, 12);
    expect(o2.d).toBe(0);
    expect(o2.e).toBe(0);
  });

  // ChannelAttribution makes a path shorter than the order one state holding the whole path. Hand-derived, order
  // 3: a>b (2 conv) and a>b>c>d (1 conv, 1 null): states (a,b), (a,b,c), (b,c,d); start→(a,b) 1/2, →(a,b,c) 1/2;
  // (b,c,d) converts half the time, so P = 1/2 + 1/4 = 3/4. Removing c or d kills only the long path: P = 1/2,
  // removal 1/3 each; removing a or b kills all: removal 1. Three conversions ∝ 1 : 1 : 1/3 : 1/3 → a 9/8, d 3/8.
  it('keeps paths shorter than the order as one state', () => {
    const r = markov(toPathSet([path('a > b', 2), path('a > b > c > d', 1, 1)]), {
      order: 3,
      useNulls: true,
    });
    expect(r.states).toBe(3);
    expect(r.conversionProbability).toBeCloseTo(0.75, 12);
    const re = field(r, 'removalEffect');
    expect(re.c).toBeCloseTo(1 / 3, 12);
    expect(re.a).toBeCloseTo(1, 12);
    const conv = field(r, 'conversions');
    expect(conv.a).toBeCloseTo(9 / 8, 12);
    expect(conv.d).toBeCloseTo(3 / 8, 12);
  });

  // Value: ChannelAttribution draws a conversion's value from the values of conversions that ended in the same
  // last state (functions.cpp: `sval0=v_vui[fV.sim(c_last, ...)]`), so the value chain absorbs with P(→conv) ×
  // mean value there. Hand-derived: x (2 conv, value 10) and y (1 conv, value 50): expected value 2/3·5 + 1/3·50
  // = 20; without y 10/3 → value removal 5/6; without x 50/3 → 1/6; 60 split 1/6 : 5/6 → x 10, y 50. Conversions:
  // removal effects 2/3 and 1/3 → x 2, y 1.
  it('weighs conversions by value for the value credit', () => {
    const r = markov(toPathSet([path('x', 2, 0, 10), path('y', 1, 0, 50)]));
    expect(field(r, 'valueRemovalEffect').y).toBeCloseTo(5 / 6, 12);
    expect(field(r, 'valueRemovalEffect').x).toBeCloseTo(1 / 6, 12);
    expect(field(r, 'value').x).toBeCloseTo(10, 10);
    expect(field(r, 'value').y).toBeCloseTo(50, 10);
    expect(field(r, 'conversions').x).toBeCloseTo(2, 10);
  });

  it('gives a lone channel everything', () => {
    const r = markov(toPathSet([path('solo > solo', 4, 7, 12), path('solo', 1, 0, 3)]), { useNulls: true });
    expect(r.channels).toEqual([
      { channel: 'solo', conversions: 5, value: 15, removalEffect: 1, valueRemovalEffect: 1 },
    ]);
  });

  it('returns zeros, not NaN, when nothing converted', () => {
    const r = markov(toPathSet([path('a > b', 0, 4)]), { useNulls: true });
    expect(r.channels.map((c) => [c.conversions, c.value, c.removalEffect])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it.each([0, 4, 1.5])('rejects order %s', (order) => {
    expect(() => markov(toPathSet([path('a', 1)]), { order })).toThrow(/order: must be 1, 2 or 3/);
  });
});

describe('Markov on ChannelAttribution Data.csv', () => {
  // Totals from the data set's README (shared data/channel-attribution/README.md, the package's own example
  // data): 12 channels, 19,785 conversions, conversion value 74,802.972, 68,602 non-converting journeys.
  const set = parsePathsFile(
    readFileSync(new URL('../../../test/fixtures/attribution/Data.csv', import.meta.url), 'utf8'),
  );
  it.each([1, 2, 3])('credits sum to the published totals at order %i, with and without nulls', (order) => {
    for (const useNulls of [false, true]) {
      const r = markov(set, { order, useNulls });
      expect(r.channels).toHaveLength(12);
      expect(r.channels.reduce((a, c) => a + c.conversions, 0)).toBeCloseTo(19785, 6);
      expect(r.channels.reduce((a, c) => a + c.value, 0)).toBeCloseTo(74802.972, 2);
      // The empirical chain conserves flow (every journey that enters a state leaves it), so the observed visit
      // counts solve the chain's visit equations n = e + n·Q, whose solution is unique for an absorbing chain
      // (Kemeny & Snell, Finite Markov Chains, ch. 3, fundamental matrix); hence P(conversion) from (start) is
      // the observed conversion share.
      expect(r.conversionProbability).toBeCloseTo(useNulls ? 19785 / (19785 + 68602) : 1, 10);
    }
  });
});
