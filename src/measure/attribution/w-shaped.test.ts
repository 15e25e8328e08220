import { describe, expect, it } from 'vitest';
import { wShapedWeights, type WShares } from './w-shaped.js';

// Adobe Experience League, "Marketo Measure Attribution Models"
// (experienceleague.adobe.com/en/docs/marketo-measure/using/introduction-to-marketo-measure/overview-resources/
// marketo-measure-attribution-models), section "W-Shaped Model": "the FT, LC, and OC touchpoints are each
// attributed 30% of the attribution credit. The remaining 10% is attributed proportionally to any intermediary
// touchpoints that occur between the three milestone touchpoints", and the OC touch is "the closest marketing
// interaction to the Opportunity Creation date". The expected numbers below are that rule worked by hand.
const W: WShares = { first_touch: 0.3, lead_creation: 0.3, opportunity_creation: 0.3, rest: 0.1 };
const DAY = 86_400_000;
const weights = (r: ReturnType<typeof wShapedWeights>): number[] => r.map((t) => t.weight);

describe('W-shaped', () => {
  it('gives 30% to each milestone and splits 10% over the touches between them', () => {
    // Touches on days 0..4; the lead is created on day 2 (after the third touch), the opportunity on day 4.
    const r = wShapedWeights(
      [0, DAY, 2 * DAY, 3 * DAY, 4 * DAY],
      { leadAt: 2 * DAY + 1, opportunityAt: 4 * DAY + 5 },
      W,
    );
    expect(r.map((t) => t.roles)).toEqual([
      ['first_touch'],
      ['intermediate'],
      ['lead_creation'],
      ['intermediate'],
      ['opportunity_creation'],
    ]);
    const w = weights(r);
    [0.3, 0.05, 0.3, 0.05, 0.3].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 12));
    // A 10,000 deal: 3,000 + 500 + 3,000 + 500 + 3,000.
    expect(w.map((x) => Math.round(x * 10_000))).toEqual([3000, 500, 3000, 500, 3000]);
  });

  it('leaves touches after the opportunity out of the W', () => {
    const r = wShapedWeights([0, DAY, 2 * DAY, 3 * DAY], { leadAt: DAY, opportunityAt: 2 * DAY }, W);
    expect(r[3]!.roles).toEqual(['after']);
    expect(r[3]!.weight).toBe(0);
    // No touch between the milestones: the 10% has nobody to go to and the three milestones share 100%.
    weights(r)
      .slice(0, 3)
      .forEach((x) => expect(x).toBeCloseTo(1 / 3, 12));
  });

  it('stacks milestones that fall on the same touch', () => {
    // First touch is also the lead-creation touch: 60% of 90% milestone credit, then 10% to the middle touch.
    const r = wShapedWeights([0, DAY, 2 * DAY], { leadAt: 0, opportunityAt: 2 * DAY }, W);
    expect(r[0]!.roles).toEqual(['first_touch', 'lead_creation']);
    const w = weights(r);
    expect(w[0]).toBeCloseTo(0.6, 12);
    expect(w[1]).toBeCloseTo(0.1, 12);
    expect(w[2]).toBeCloseTo(0.3, 12);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('rescales when a milestone has no touch before it', () => {
    // No lead creation known: FT 0.3, OC 0.3, rest 0.1 over two touches, rescaled by 1/0.7.
    const r = wShapedWeights([0, DAY, 2 * DAY, 3 * DAY], { opportunityAt: 3 * DAY }, W);
    const w = weights(r);
    expect(w[0]).toBeCloseTo(0.3 / 0.7, 12);
    expect(w[1]).toBeCloseTo(0.05 / 0.7, 12);
    expect(w[3]).toBeCloseTo(0.3 / 0.7, 12);
  });

  it('refuses unsorted touches and shares outside 0..1', () => {
    expect(() => wShapedWeights([DAY, 0], {}, W)).toThrow(/sorted/);
    expect(() => wShapedWeights([0], {}, { ...W, rest: 1.5 })).toThrow(/w_shares.rest/);
  });
});
