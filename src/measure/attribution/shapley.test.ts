import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePathsFile } from './paths-file.js';
import { toPathSet, type AttributionPath, type ChannelCredit } from './paths.js';
import { shapley } from './shapley.js';

const path = (channels: string, conversions: number, value = 0): AttributionPath => ({
  channels: channels.split(' > '),
  conversions,
  value,
  nulls: 0,
});
const byChannel = (credits: ChannelCredit[]): Record<string, number> =>
  Object.fromEntries(credits.map((c) => [c.channel, c.conversions]));

describe('Shapley value over channel sets', () => {
  // Hand-derived from the Shapley formula φ_j = Σ_{S ⊆ N∖{j}} |S|!(n−|S|−1)!/n! · (v(S∪{j}) − v(S)) (Shapley
  // 1953) with v(S) = conversions of paths whose channel set ⊆ S (Zhao, Mahboobi & Bagheri 2018, eq. 5):
  // paths {a}: 1 and {a,b}: 2 give v(∅)=0, v(a)=1, v(b)=0, v(ab)=3, so φ_a = ½(1−0) + ½(3−0) = 2 and
  // φ_b = ½(0−0) + ½(3−1) = 1.
  it.each(['enumerate', 'closed-form'] as const)('solves the two-channel game by hand (%s)', (method) => {
    const set = toPathSet([path('a', 1, 10), path('a > b > a', 2, 30)]);
    const credits = shapley(set, { method });
    expect(byChannel(credits).a).toBeCloseTo(2, 12);
    expect(byChannel(credits).b).toBeCloseTo(1, 12);
    // Value game: v(a)=10, v(ab)=40 → φ_a = ½·10 + ½·40 = 25, φ_b = ½·30 = 15.
    expect(credits.find((c) => c.channel === 'a')!.value).toBeCloseTo(25, 12);
    expect(credits.find((c) => c.channel === 'b')!.value).toBeCloseTo(15, 12);
  });

  // Zhao et al. 2018, eq. 8: φ_j = Σ_{T ∋ j} R(T)/|T|. Paths {a,b,c}: 3 and {a}: 1 → a = 1 + 1, b = 1, c = 1;
  // a channel seen only on non-converting paths (d) is a dummy player and gets 0 (Shapley's dummy axiom).
  it('splits each coalition’s conversions equally among its members (Zhao et al. eq. 8)', () => {
    const set = toPathSet([
      path('c > b > a', 3),
      path('a', 1),
      { channels: ['d'], conversions: 0, value: 0, nulls: 9 },
    ]);
    for (const method of ['enumerate', 'closed-form'] as const) {
      const c = byChannel(shapley(set, { method }));
      expect(c.a).toBeCloseTo(2, 12);
      expect(c.b).toBeCloseTo(1, 12);
      expect(c.c).toBeCloseTo(1, 12);
      expect(c.d).toBe(0);
    }
  });

  it('enumeration and the closed form agree on Data.csv (12 channels)', () => {
    const set = parsePathsFile(
      readFileSync(new URL('../../../test/fixtures/attribution/Data.csv', import.meta.url), 'utf8'),
    );
    const a = shapley(set, { method: 'enumerate' });
    const b = shapley(set, { method: 'closed-form' });
    a.forEach((c, k) => {
      expect(c.conversions).toBeCloseTo(b[k]!.conversions, 6);
      expect(c.value).toBeCloseTo(b[k]!.value, 6);
    });
    // Totals published in the data set's README: 19,785 conversions, value 74,802.972 (efficiency axiom).
    expect(a.reduce((s, c) => s + c.conversions, 0)).toBeCloseTo(19785, 6);
    expect(a.reduce((s, c) => s + c.value, 0)).toBeCloseTo(74802.972, 2);
  });
});
