// The journey Sankey's data (web/src/journey-sankey.ts): forward moves become links between stage names,
// each node carries the larger of its inflow and outflow, and moves a Sankey cannot draw (backwards after a
// map change, or from a stage the map no longer has) are returned apart instead of breaking the chart.
import { describe, expect, it } from 'vitest';
import { ENTERED, sankeyOf } from '../../web/src/journey-sankey.js';

const stages = [
  { id: 'awareness', name: 'Awareness' },
  { id: 'consideration', name: 'Consideration' },
  { id: 'decision', name: 'Decision' },
  { id: 'customer', name: 'Customer' },
];

describe('sankeyOf', () => {
  it('links forward moves by stage name with node values of max(inflow, outflow)', () => {
    const s = sankeyOf({
      stages,
      transitions: [
        { from: null, to: 'awareness', count: 10 },
        { from: null, to: 'decision', count: 2 },
        { from: 'awareness', to: 'consideration', count: 4 },
        { from: 'consideration', to: 'decision', count: 1 },
        { from: 'awareness', to: 'customer', count: 0 },
      ],
    });
    expect(s.links).toEqual([
      { source: ENTERED, target: 'Awareness', value: 10 },
      { source: ENTERED, target: 'Decision', value: 2 },
      { source: 'Awareness', target: 'Consideration', value: 4 },
      { source: 'Consideration', target: 'Decision', value: 1 },
    ]);
    // Entered: out 12. Awareness: in 10, out 4. Consideration: in 4, out 1. Decision: in 3. Customer: no
    // move (a zero count draws nothing), so no node.
    expect(s.nodes).toEqual([
      { name: ENTERED, value: 12 },
      { name: 'Awareness', value: 10 },
      { name: 'Consideration', value: 4 },
      { name: 'Decision', value: 3 },
    ]);
    expect(s.backward).toEqual([]);
  });

  it('keeps backward moves and moves from stages off the map out of the chart, so it has no cycle', () => {
    const s = sankeyOf({
      stages,
      transitions: [
        { from: 'awareness', to: 'consideration', count: 3 },
        { from: 'consideration', to: 'awareness', count: 2 },
        { from: 'interest', to: 'awareness', count: 5 },
        { from: 'decision', to: 'decision', count: 1 },
      ],
    });
    expect(s.links).toEqual([{ source: 'Awareness', target: 'Consideration', value: 3 }]);
    expect(s.backward).toEqual([
      { from: 'consideration', to: 'awareness', count: 2 },
      { from: 'interest', to: 'awareness', count: 5 },
      { from: 'decision', to: 'decision', count: 1 },
    ]);
    expect(s.nodes.map((n) => n.name)).toEqual(['Awareness', 'Consideration']);
  });
});
