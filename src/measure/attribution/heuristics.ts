// Rule-based attribution: first touch, last touch, linear, time decay and position-based (U-shaped).
// First/last/linear follow ChannelAttribution's heuristic_models (DavideAltomare/ChannelAttribution,
// functions.cpp `heuristic_models_cpp`): a repeated channel is credited once per occurrence, so in `a > b > a`
// linear gives a 2/3 and b 1/3.
import { BatonError } from '../../domain/errors.js';
import { creditsOf, type ChannelCredit, type PathSet } from './paths.js';

export const DAY_MS = 86_400_000;

export interface TimeDecayOptions {
  /** A touch this much older than another gets half its weight. Default 7 days (Google Ads' time decay). */
  halfLifeMs?: number;
}

export interface PositionBasedOptions {
  /** Share of the first touch and of the last touch on paths of three or more touches. Default 0.4. */
  endShare?: number;
}

type Weigh = (set: PathSet, from: number, to: number, weights: Float64Array) => void;

/** Spreads each path's conversions and value over its touches by weights that sum to 1 per path. */
function spread(set: PathSet, weigh: Weigh): { conversions: Float64Array; value: Float64Array } {
  const k = set.channels.length;
  const conversions = new Float64Array(k);
  const value = new Float64Array(k);
  let weights = new Float64Array(64);
  const n = set.conversions.length;
  for (let i = 0; i < n; i++) {
    const c = set.conversions[i]!;
    if (c === 0) continue;
    const v = set.values[i]!;
    const from = set.offsets[i]!;
    const to = set.offsets[i + 1]!;
    if (to - from > weights.length) weights = new Float64Array(2 * (to - from));
    weigh(set, from, to, weights);
    for (let t = from; t < to; t++) {
      const w = weights[t - from]!;
      const ch = set.touches[t]!;
      conversions[ch] = conversions[ch]! + c * w;
      value[ch] = value[ch]! + v * w;
    }
  }
  return { conversions, value };
}

function run(set: PathSet, weigh: Weigh): ChannelCredit[] {
  const { conversions, value } = spread(set, weigh);
  return creditsOf(set, conversions, value);
}

export function firstTouch(set: PathSet): ChannelCredit[] {
  return run(set, (_s, from, to, w) => {
    w.fill(0, 0, to - from);
    w[0] = 1;
  });
}

export function lastTouch(set: PathSet): ChannelCredit[] {
  return run(set, (_s, from, to, w) => {
    w.fill(0, 0, to - from);
    w[to - from - 1] = 1;
  });
}

export function linear(set: PathSet): ChannelCredit[] {
  return run(set, (_s, from, to, w) => {
    w.fill(1 / (to - from), 0, to - from);
  });
}

/**
 * Position-based (U-shaped): 40% to the first touch, 40% to the last, 20% shared by the touches between; a
 * two-touch path splits 50/50 and a single touch takes everything (Google Ads' position-based model).
 */
export function positionBased(set: PathSet, options: PositionBasedOptions = {}): ChannelCredit[] {
  const end = options.endShare ?? 0.4;
  if (!(end >= 0 && end <= 0.5)) {
    throw BatonError.invalid([{ path: 'endShare', message: `must be between 0 and 0.5, got ${end}` }]);
  }
  return run(set, (_s, from, to, w) => {
    const len = to - from;
    if (len === 1) w[0] = 1;
    else if (len === 2) w[0] = w[1] = 0.5;
    else {
      w.fill((1 - 2 * end) / (len - 2), 1, len - 1);
      w[0] = w[len - 1] = end;
    }
  });
}

/**
 * Time decay: a touch's weight halves with every half-life of age at the conversion, w = 2^(−age/halfLife),
 * normalised over the path. Without touch ages the last touch is taken as on the day of the conversion and each
 * earlier touch one day older (decision 0003).
 */
export function timeDecay(set: PathSet, options: TimeDecayOptions = {}): ChannelCredit[] {
  const halfLife = options.halfLifeMs ?? 7 * DAY_MS;
  if (!(Number.isFinite(halfLife) && halfLife > 0)) {
    throw BatonError.invalid([{ path: 'halfLifeMs', message: `must be a positive number, got ${halfLife}` }]);
  }
  const ages = set.touchAgesMs;
  return run(set, (_s, from, to, w) => {
    const len = to - from;
    // Subtracting the youngest age keeps 2^x away from underflow on very old paths.
    let youngest = Infinity;
    for (let t = 0; t < len; t++) {
      const age = ages ? ages[from + t]! : (len - 1 - t) * DAY_MS;
      w[t] = age;
      if (age < youngest) youngest = age;
    }
    let sum = 0;
    for (let t = 0; t < len; t++) {
      const x = Math.pow(2, -(w[t]! - youngest) / halfLife);
      w[t] = x;
      sum += x;
    }
    for (let t = 0; t < len; t++) w[t] = w[t]! / sum;
  });
}
