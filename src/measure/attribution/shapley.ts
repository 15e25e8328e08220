// Shapley-value attribution over channel sets.
//
// Characteristic function: v(S) = the conversions (or value) of the paths whose set of channels is a subset of S,
// the coalition game of Dalessandro et al. ("Causally motivated attribution for online advertising", 2012) as
// simplified by Zhao, Mahboobi & Bagheri ("Shapley Value Methods for Attribution Modeling in Online
// Advertising", 2018). Order and repetition inside a path do not matter; non-converting paths add nothing.
// φ_j = Σ_{S ⊆ N∖{j}} |S|!(n−|S|−1)!/n! · (v(S ∪ {j}) − v(S)), computed exactly by enumerating all 2^n
// coalitions (n ≤ 20). Because v is a sum of unanimity games v = Σ_T R(T)·u_T, with R(T) the conversions of paths
// whose channel set is exactly T, φ_j also equals Σ_{T ∋ j} R(T)/|T| (Zhao et al., eq. 8); beyond 20 channels,
// where enumeration is too slow, that closed form is used. Both give the same exact values.
import { creditsOf, type ChannelCredit, type PathSet } from './paths.js';

export const MAX_ENUMERATED_CHANNELS = 20;

export interface ShapleyOptions {
  /** 'auto' (default) enumerates up to 20 channels and uses the closed form beyond; tests force either. */
  method?: 'auto' | 'enumerate' | 'closed-form';
}

export function shapley(set: PathSet, options: ShapleyOptions = {}): ChannelCredit[] {
  const method = options.method ?? 'auto';
  const n = set.channels.length;
  const enumerate = method === 'enumerate' || (method === 'auto' && n <= MAX_ENUMERATED_CHANNELS);
  if (enumerate && n > MAX_ENUMERATED_CHANNELS) {
    throw new Error(`Shapley enumeration supports at most ${MAX_ENUMERATED_CHANNELS} channels, got ${n}`);
  }
  const { conversions, value } = enumerate ? byEnumeration(set) : byClosedForm(set);
  return creditsOf(set, conversions, value);
}

function byClosedForm(set: PathSet): { conversions: Float64Array; value: Float64Array } {
  const n = set.channels.length;
  const conversions = new Float64Array(n);
  const value = new Float64Array(n);
  const seen = new Int32Array(n).fill(-1);
  const members: number[] = [];
  for (let i = 0; i < set.conversions.length; i++) {
    const c = set.conversions[i]!;
    if (c === 0) continue;
    members.length = 0;
    for (let t = set.offsets[i]!; t < set.offsets[i + 1]!; t++) {
      const ch = set.touches[t]!;
      if (seen[ch] !== i) {
        seen[ch] = i;
        members.push(ch);
      }
    }
    const share = 1 / members.length;
    const v = set.values[i]!;
    for (const ch of members) {
      conversions[ch] = conversions[ch]! + c * share;
      value[ch] = value[ch]! + v * share;
    }
  }
  return { conversions, value };
}

function byEnumeration(set: PathSet): { conversions: Float64Array; value: Float64Array } {
  const n = set.channels.length;
  const size = 1 << n;
  // R(T): conversions and value of paths whose channel set is exactly T.
  const vConv = new Float64Array(size);
  const vValue = new Float64Array(size);
  for (let i = 0; i < set.conversions.length; i++) {
    const c = set.conversions[i]!;
    if (c === 0) continue;
    let mask = 0;
    for (let t = set.offsets[i]!; t < set.offsets[i + 1]!; t++) mask |= 1 << set.touches[t]!;
    vConv[mask] = vConv[mask]! + c;
    vValue[mask] = vValue[mask]! + set.values[i]!;
  }
  // Zeta transform: v(S) = Σ_{T ⊆ S} R(T).
  for (let bit = 0; bit < n; bit++) {
    const b = 1 << bit;
    for (let s = 0; s < size; s++) {
      if (s & b) {
        vConv[s] = vConv[s]! + vConv[s ^ b]!;
        vValue[s] = vValue[s]! + vValue[s ^ b]!;
      }
    }
  }
  // weight[k] = k!(n−k−1)!/n! for a coalition of size k not containing j.
  const weight = new Float64Array(Math.max(n, 1));
  for (let k = 0; k < n; k++) weight[k] = 1 / (n * binomial(n - 1, k));
  const popcount = new Uint8Array(size);
  for (let s = 1; s < size; s++) popcount[s] = popcount[s >> 1]! + (s & 1);
  const conversions = new Float64Array(n);
  const value = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const b = 1 << j;
    let phiC = 0;
    let phiV = 0;
    for (let s = 0; s < size; s++) {
      if (s & b) continue;
      const w = weight[popcount[s]!]!;
      phiC += w * (vConv[s | b]! - vConv[s]!);
      phiV += w * (vValue[s | b]! - vValue[s]!);
    }
    conversions[j] = phiC;
    value[j] = phiV;
  }
  return { conversions, value };
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
