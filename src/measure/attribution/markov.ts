// Markov-chain attribution by removal effect, solved exactly on the absorbing chain instead of by simulation.
//
// Semantics follow ChannelAttribution's markov_model (DavideAltomare/ChannelAttribution, functions.cpp
// `markov_model_cpp`): a path becomes (start) → states → (conversion) or (null); a state of order k is a window
// of k consecutive channels (the whole path when shorter) sliding one touch at a time; consecutive identical
// states are collapsed; each path's transitions weigh conversions (+ nulls when non-converting paths are used);
// removing a channel sends every state that contains it to (null). The package estimates
// P(path visits c | conversion) by simulation; that equals the removal effect 1 − P(conv without c)/P(conv),
// which we compute exactly from the linear system x = r + Q·x of the absorbing chain (Kemeny & Snell, Finite
// Markov Chains, ch. 3: absorption probabilities B = N·R with N = (I − Q)⁻¹). Credits are the removal effects
// normalised to the total conversions (and, with value-weighted absorption, to the total value).
import { BatonError } from '../../domain/errors.js';
import type { PathSet } from './paths.js';

export interface MarkovOptions {
  /** Memory of the chain: 1 (channels), 2 (pairs) or 3 (triples). Default 1. */
  order?: number;
  /** Use non-converting paths (the nulls); without them only converting paths shape the chain. Default false. */
  useNulls?: boolean;
  /** Stop iterating when no probability moves by more than this. Default 1e-12. */
  tolerance?: number;
}

export interface MarkovChannelResult {
  channel: string;
  conversions: number;
  value: number;
  /** 1 − P(conversion without the channel) / P(conversion). */
  removalEffect: number;
  /** The same with conversions weighted by their value. */
  valueRemovalEffect: number;
}

export interface MarkovResult {
  order: number;
  useNulls: boolean;
  /** Transient states of the chain, (start) excluded. */
  states: number;
  /** P(conversion) from (start) with every channel present. */
  conversionProbability: number;
  channels: MarkovChannelResult[];
}

/** The chain as compressed sparse rows over transient states; state 0 is (start). */
interface Chain {
  states: number;
  rowStart: Int32Array;
  col: Int32Array;
  prob: Float64Array;
  /** P(state → conversion). */
  toConversion: Float64Array;
  /** P(state → conversion) × mean value of the conversions that ended there. */
  toValue: Float64Array;
  /** For each channel, the states (ids ≥ 1) whose window contains it. */
  statesOfChannel: Int32Array[];
}

const MAX_ORDER = 3;

function buildChain(set: PathSet, order: number, useNulls: boolean): Chain {
  const nPaths = set.conversions.length;
  const nChannels = set.channels.length;
  const base = nChannels + 1;
  // State sequences per path (collapsed), as ids; state 0 is (start), channel windows get ids from 1.
  const stateOf = new Map<number, number>();
  const windows: number[][] = [[]];
  const seqOffsets = new Int32Array(nPaths + 1);
  const seq = new Int32Array(set.touches.length);
  let s = 0;
  for (let i = 0; i < nPaths; i++) {
    const weight = set.conversions[i]! + (useNulls ? set.nulls[i]! : 0);
    const from = set.offsets[i]!;
    const to = set.offsets[i + 1]!;
    if (weight > 0) {
      let previous = -1;
      const last = Math.max(from, to - order);
      for (let w = from; w <= last; w++) {
        const end = Math.min(w + order, to);
        let state: number;
        if (order === 1) {
          state = set.touches[w]! + 1;
          if (state >= windows.length) {
            // Channel ids are dense, so order-1 states are channel id + 1 without a map.
            for (let c = windows.length; c <= state; c++) windows.push([c - 1]);
          }
        } else {
          let key = 0;
          for (let t = w; t < end; t++) key = key * base + set.touches[t]! + 1;
          for (let t = end - w; t < order; t++) key *= base;
          let id = stateOf.get(key);
          if (id === undefined) {
            id = windows.length;
            stateOf.set(key, id);
            windows.push(Array.from(set.touches.subarray(w, end)));
          }
          state = id;
        }
        if (state !== previous) seq[s++] = state;
        previous = state;
      }
    }
    seqOffsets[i + 1] = s;
  }
  const states = windows.length; // including (start)
  // Transition counts: row r, column c < states for transient targets; conversion and null kept apart.
  const conv = new Float64Array(states);
  const convValue = new Float64Array(states);
  const out = new Float64Array(states); // total weight leaving each state
  const dense = states * states <= 4_000_000;
  const denseCounts = dense ? new Float64Array(states * states) : undefined;
  const sparseCounts = dense ? undefined : new Map<number, number>();
  const add = (from: number, to: number, w: number): void => {
    if (denseCounts) denseCounts[from * states + to] = denseCounts[from * states + to]! + w;
    else {
      const key = from * states + to;
      sparseCounts!.set(key, (sparseCounts!.get(key) ?? 0) + w);
    }
  };
  for (let i = 0; i < nPaths; i++) {
    const a = seqOffsets[i]!;
    const b = seqOffsets[i + 1]!;
    if (a === b) continue;
    const c = set.conversions[i]!;
    const w = c + (useNulls ? set.nulls[i]! : 0);
    let prev = 0;
    for (let t = a; t < b; t++) {
      const st = seq[t]!;
      add(prev, st, w);
      out[prev] = out[prev]! + w;
      prev = st;
    }
    conv[prev] = conv[prev]! + c;
    convValue[prev] = convValue[prev]! + set.values[i]!;
    out[prev] = out[prev]! + w;
  }
  // Compress to CSR with probabilities.
  const rowStart = new Int32Array(states + 1);
  let nnz = 0;
  if (denseCounts) {
    for (let i = 0; i < denseCounts.length; i++) if (denseCounts[i]! > 0) nnz++;
  } else nnz = sparseCounts!.size;
  const col = new Int32Array(nnz);
  const prob = new Float64Array(nnz);
  if (denseCounts) {
    let k = 0;
    for (let r = 0; r < states; r++) {
      rowStart[r] = k;
      for (let c2 = 0; c2 < states; c2++) {
        const x = denseCounts[r * states + c2]!;
        if (x > 0) {
          col[k] = c2;
          prob[k++] = x / out[r]!;
        }
      }
    }
    rowStart[states] = k;
  } else {
    const keys = Float64Array.from(sparseCounts!.keys()).sort();
    let k = 0;
    let r = 0;
    for (const key of keys) {
      const from = Math.floor(key / states);
      while (r <= from) rowStart[r++] = k;
      col[k] = key - from * states;
      prob[k++] = sparseCounts!.get(key)! / out[from]!;
    }
    while (r <= states) rowStart[r++] = k;
  }
  const toConversion = new Float64Array(states);
  const toValue = new Float64Array(states);
  for (let r = 0; r < states; r++) {
    if (out[r]! > 0) {
      toConversion[r] = conv[r]! / out[r]!;
      // P(→conv) × (value ended here / conversions ended here) = value ended here / weight out.
      toValue[r] = convValue[r]! / out[r]!;
    }
  }
  const lists: number[][] = Array.from({ length: nChannels }, () => []);
  for (let st = 1; st < states; st++) {
    for (const ch of new Set(windows[st]!)) lists[ch]!.push(st);
  }
  return {
    states,
    rowStart,
    col,
    prob,
    toConversion,
    toValue,
    statesOfChannel: lists.map((l) => Int32Array.from(l)),
  };
}

/**
 * Solves x = r + Q·x and y = v + Q·y by Gauss–Seidel sweeps (states with `removed[s]` are absorbed as null),
 * returning x and y at (start). From zero the iterates rise monotonically to the solution; sweeps stop when the
 * estimated remaining error is below the tolerance.
 */
function solveFromStart(chain: Chain, removed: Uint8Array, tolerance: number): { p: number; v: number } {
  const { states, rowStart, col, prob, toConversion, toValue } = chain;
  const x = new Float64Array(states);
  const y = new Float64Array(states);
  const maxSweeps = 1_000_000;
  let previousDelta = 0;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let delta = 0;
    // Later states tend to be successors of earlier ones, so sweeping backwards propagates faster.
    for (let s = states - 1; s >= 0; s--) {
      if (removed[s]) continue;
      let xs = toConversion[s]!;
      let ys = toValue[s]!;
      const end = rowStart[s + 1]!;
      for (let k = rowStart[s]!; k < end; k++) {
        const t = col[k]!;
        const p = prob[k]!;
        xs += p * x[t]!;
        ys += p * y[t]!;
      }
      const d = Math.max(Math.abs(xs - x[s]!), Math.abs(ys - y[s]!) / (1 + Math.abs(ys)));
      if (d > delta) delta = d;
      x[s] = xs;
      y[s] = ys;
    }
    // Geometric convergence: the remaining error is about delta·ρ/(1−ρ), with ρ estimated from two sweeps.
    const rho = previousDelta > 0 ? delta / previousDelta : 1;
    if (delta === 0 || (rho < 1 && (delta * rho) / (1 - rho) <= tolerance && delta <= tolerance)) {
      return { p: x[0]!, v: y[0]! };
    }
    previousDelta = delta;
  }
  throw new Error(`Markov solve did not converge in ${maxSweeps} sweeps`);
}

export function markov(set: PathSet, options: MarkovOptions = {}): MarkovResult {
  const order = options.order ?? 1;
  const useNulls = options.useNulls ?? false;
  const tolerance = options.tolerance ?? 1e-12;
  if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) {
    throw BatonError.invalid([{ path: 'order', message: `must be 1, 2 or 3, got ${order}` }]);
  }
  if (!(tolerance > 0)) {
    throw BatonError.invalid([{ path: 'tolerance', message: `must be positive, got ${tolerance}` }]);
  }
  const chain = buildChain(set, order, useNulls);
  const removed = new Uint8Array(chain.states);
  const all = solveFromStart(chain, removed, tolerance);
  const nChannels = set.channels.length;
  const re = new Float64Array(nChannels);
  const reValue = new Float64Array(nChannels);
  for (let ch = 0; ch < nChannels; ch++) {
    const list = chain.statesOfChannel[ch]!;
    if (list.length === 0) continue;
    for (const st of list) removed[st] = 1;
    const without = solveFromStart(chain, removed, tolerance);
    for (const st of list) removed[st] = 0;
    re[ch] = all.p > 0 ? clamp01(1 - without.p / all.p) : 0;
    reValue[ch] = all.v > 0 ? clamp01(1 - without.v / all.v) : 0;
  }
  let totalConversions = 0;
  let totalValue = 0;
  for (let i = 0; i < set.conversions.length; i++) {
    totalConversions += set.conversions[i]!;
    totalValue += set.values[i]!;
  }
  const sumRe = re.reduce((a, b) => a + b, 0);
  const sumReValue = reValue.reduce((a, b) => a + b, 0);
  return {
    order,
    useNulls,
    states: chain.states - 1,
    conversionProbability: all.p,
    channels: set.channels.map((channel, k) => ({
      channel,
      conversions: sumRe > 0 ? (re[k]! / sumRe) * totalConversions : 0,
      value: sumReValue > 0 ? (reValue[k]! / sumReValue) * totalValue : 0,
      removalEffect: re[k]!,
      valueRemovalEffect: reValue[k]!,
    })),
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
