// The Sankey of a journey's stage moves (GET /journey/flows), kept free of React and of imports: the root
// type check and test/web/journey-sankey.test.ts read this file too.

/** The source node for subjects that entered the journey in the range (a transition `from` null). */
export const ENTERED = 'Entered';

export interface SankeyFlows {
  stages: ReadonlyArray<{ id: string; name: string }>;
  transitions: ReadonlyArray<{ from: string | null; to: string; count: number }>;
}

export interface Sankey {
  nodes: Array<{ name: string; value: number }>;
  links: Array<{ source: string; target: string; value: number }>;
  /** Moves the chart leaves out: backwards, or from a stage the map no longer has. */
  backward: Array<{ from: string | null; to: string; count: number }>;
}

/**
 * A node per stage (by name) and one for entering, each node's value the larger of what flowed in and out;
 * a link per forward move. A Sankey cannot draw a cycle, so moves backwards (only when the journey map
 * itself changed) are left out and returned apart.
 */
export function sankeyOf(flows: SankeyFlows): Sankey {
  const order = new Map(flows.stages.map((s, i) => [s.id, i]));
  const name = (id: string | null) =>
    id === null ? ENTERED : (flows.stages.find((s) => s.id === id)?.name ?? id);
  const forward = (t: { from: string | null; to: string }) =>
    t.from === null || (order.get(t.from) ?? Infinity) < (order.get(t.to) ?? -Infinity);
  const drawn = flows.transitions.filter((t) => t.count > 0 && forward(t));
  const links = drawn.map((t) => ({ source: name(t.from), target: name(t.to), value: t.count }));
  const inflow = new Map<string, number>();
  const outflow = new Map<string, number>();
  for (const l of links) {
    outflow.set(l.source, (outflow.get(l.source) ?? 0) + l.value);
    inflow.set(l.target, (inflow.get(l.target) ?? 0) + l.value);
  }
  const names = [ENTERED, ...flows.stages.map((s) => s.name), ...links.map((l) => l.target)];
  const nodes = [...new Set(names)]
    .filter((n) => inflow.has(n) || outflow.has(n))
    .map((n) => ({ name: n, value: Math.max(inflow.get(n) ?? 0, outflow.get(n) ?? 0) }));
  const backward = flows.transitions.filter((t) => t.count > 0 && !forward(t)).map((t) => ({ ...t }));
  return { nodes, links, backward };
}
