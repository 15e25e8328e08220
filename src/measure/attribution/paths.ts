// Customer journeys for attribution, held as integer channel ids in flat typed arrays so a million paths fit in
// a few arrays and every model walks them without allocating.
import { BatonError, type FieldIssue } from '../../domain/errors.js';

/** One aggregated journey: the ordered touches, and how many journeys along it converted or did not. */
export interface AttributionPath {
  /** Channels touched, oldest first; a channel may repeat. */
  channels: readonly string[];
  /** Journeys along this path that converted. */
  conversions: number;
  /** Conversion value of those conversions (0 when unknown). */
  value: number;
  /** Journeys along this path that did not convert. */
  nulls: number;
  /**
   * Age of each touch at the conversion in milliseconds (conversion time − touch time), one per channel. Used
   * only by time decay; without it a touch counts as one day older than the touch after it (see
   * docs/decisions/0003-attribution.md).
   */
  touchAgesMs?: readonly number[];
}

/** Paths in columnar form: path i's touches are `touches[offsets[i]] … touches[offsets[i+1]-1]`. */
export interface PathSet {
  channels: readonly string[];
  offsets: Int32Array;
  touches: Int32Array;
  conversions: Float64Array;
  values: Float64Array;
  nulls: Float64Array;
  /** Per touch, parallel to `touches`; absent when no path carried touch ages. */
  touchAgesMs?: Float64Array;
}

export function pathCount(set: PathSet): number {
  return set.conversions.length;
}

export interface PathTotals {
  conversions: number;
  value: number;
  nulls: number;
}

export function totalsOf(set: PathSet): PathTotals {
  let conversions = 0;
  let value = 0;
  let nulls = 0;
  for (let i = 0; i < set.conversions.length; i++) {
    conversions += set.conversions[i]!;
    value += set.values[i]!;
    nulls += set.nulls[i]!;
  }
  return { conversions, value, nulls };
}

/**
 * Checks the counts of one path; `where` names it in the message (`paths.3` or `line 4`). Counts must be finite
 * and non-negative, and value needs at least one conversion to belong to.
 */
export function checkCounts(where: string, conversions: number, value: number, nulls: number): void {
  if (conversions >= 0 && value >= 0 && nulls >= 0 && (value === 0 || conversions > 0)) {
    if (conversions !== Infinity && value !== Infinity && nulls !== Infinity) return;
  }
  const issues: FieldIssue[] = [];
  countIssue(issues, `${where}.conversions`, conversions);
  countIssue(issues, `${where}.value`, value);
  countIssue(issues, `${where}.nulls`, nulls);
  if (issues.length === 0 && value > 0 && conversions === 0) {
    issues.push({ path: `${where}.value`, message: `is ${value} but the path has no conversions` });
  }
  if (issues.length > 0) throw BatonError.invalid(issues);
}

function countIssue(issues: FieldIssue[], path: string, x: number): void {
  if (!Number.isFinite(x)) issues.push({ path, message: `must be a number, got ${x}` });
  else if (x < 0) issues.push({ path, message: `must not be negative, got ${x}` });
}

/** Builds a PathSet from path objects, validating every count and touch age. */
export function toPathSet(paths: readonly AttributionPath[]): PathSet {
  if (paths.length === 0) throw BatonError.invalid([{ path: 'paths', message: 'no paths to attribute' }]);
  const ids = new Map<string, number>();
  const channels: string[] = [];
  let touchCount = 0;
  let anyAges = false;
  paths.forEach((p, i) => {
    if (p.channels.length === 0) {
      throw BatonError.invalid([
        { path: `paths.${i}.channels`, message: 'a path needs at least one channel' },
      ]);
    }
    touchCount += p.channels.length;
    if (p.touchAgesMs) anyAges = true;
  });
  const offsets = new Int32Array(paths.length + 1);
  const touches = new Int32Array(touchCount);
  const conversions = new Float64Array(paths.length);
  const values = new Float64Array(paths.length);
  const nulls = new Float64Array(paths.length);
  const ages = anyAges ? new Float64Array(touchCount) : undefined;
  let t = 0;
  paths.forEach((p, i) => {
    checkCounts(`paths.${i}`, p.conversions, p.value, p.nulls);
    if (ages && !p.touchAgesMs) {
      throw BatonError.invalid([
        { path: `paths.${i}.touchAgesMs`, message: 'touch ages are given for some paths; give them for all' },
      ]);
    }
    if (p.touchAgesMs && p.touchAgesMs.length !== p.channels.length) {
      throw BatonError.invalid([
        {
          path: `paths.${i}.touchAgesMs`,
          message: `has ${p.touchAgesMs.length} ages for ${p.channels.length} touches`,
        },
      ]);
    }
    p.channels.forEach((name, j) => {
      const trimmed = name.trim();
      if (trimmed === '') {
        throw BatonError.invalid([{ path: `paths.${i}.channels.${j}`, message: 'channel name is empty' }]);
      }
      let id = ids.get(trimmed);
      if (id === undefined) {
        id = channels.length;
        ids.set(trimmed, id);
        channels.push(trimmed);
      }
      if (ages) {
        const age = p.touchAgesMs![j]!;
        if (!Number.isFinite(age) || age < 0) {
          throw BatonError.invalid([
            { path: `paths.${i}.touchAgesMs.${j}`, message: `must be a non-negative number, got ${age}` },
          ]);
        }
        ages[t] = age;
      }
      touches[t++] = id;
    });
    offsets[i + 1] = t;
    conversions[i] = p.conversions;
    values[i] = p.value;
    nulls[i] = p.nulls;
  });
  return { channels, offsets, touches, conversions, values, nulls, ...(ages ? { touchAgesMs: ages } : {}) };
}

/** One model's credit for one channel. */
export interface ChannelCredit {
  channel: string;
  conversions: number;
  value: number;
}

/** Pairs channel names with per-channel credit arrays. */
export function creditsOf(set: PathSet, conversions: Float64Array, value: Float64Array): ChannelCredit[] {
  return set.channels.map((channel, k) => ({ channel, conversions: conversions[k]!, value: value[k]! }));
}
