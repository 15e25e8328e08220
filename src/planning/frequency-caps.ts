// Workspace frequency caps across all campaigns and channels: per local day, per rolling 7 days, and a
// minimum gap per channel. Each cap forbids a union of intervals; the earliest allowed instant is the
// first point past all of them.
import { z } from 'zod';
import { DAY, HOUR, zoneClock, type ZoneClock } from './zone-clock.js';

/** A touch already performed or planned for the contact (any campaign, any channel). */
export interface TouchRecord {
  at: number;
  channel: string;
  campaignId: string;
}

export interface CapPolicy {
  /** Most touches in one calendar day of the contact's zone. */
  perDay: number;
  /** Most touches in any 7 × 24 h window (`[s, s + 7 days)` for every s). */
  perRolling7Days: number;
  /** Least time between two touches on the same channel, in ms (channels not listed: no gap). */
  minGapByChannel: Readonly<Record<string, number>>;
  dayBoundary: 'contact_local';
  /** Channels whose touches neither count toward the caps nor are held by them (an ads-audience entry). */
  exemptChannels?: readonly string[];
}

export const capPolicySchema = z
  .object({
    perDay: z.number().int('must be a whole number').min(1, 'must be at least 1'),
    perRolling7Days: z.number().int('must be a whole number').min(1, 'must be at least 1'),
    minGapByChannel: z.record(z.string(), z.number().int().min(0, 'must not be negative')).default({}),
    dayBoundary: z.literal('contact_local').default('contact_local'),
    exemptChannels: z.array(z.string()).optional(),
  })
  .strict();

/** The workspace settings' `caps` block (snake case, gaps in hours) as a `CapPolicy`. */
export function capPolicyFromSettings(caps: {
  per_day: number;
  per_7_days: number;
  min_gap_hours: Readonly<Record<string, number>>;
  exempt_channels?: readonly string[];
}): CapPolicy {
  const minGapByChannel: Record<string, number> = {};
  for (const [channel, hours] of Object.entries(caps.min_gap_hours))
    minGapByChannel[channel] = Math.round(hours * HOUR);
  return {
    perDay: caps.per_day,
    perRolling7Days: caps.per_7_days,
    minGapByChannel,
    dayBoundary: 'contact_local',
    exemptChannels: caps.exempt_channels ?? [],
  };
}

/** The example policy of the design: 1 touch a day, 3 per rolling 7 days, no channel gap. */
export const DEFAULT_CAP_POLICY: CapPolicy = Object.freeze({
  perDay: 1,
  perRolling7Days: 3,
  minGapByChannel: Object.freeze({}),
  dayBoundary: 'contact_local',
});

export type CapReason = 'per_day' | 'per_7_days' | 'min_gap';

export type CapCheck = { ok: true } | { ok: false; reason: CapReason; nextAllowedAt: number };

const WEEK = 7 * DAY;

const exemptSets = new WeakMap<CapPolicy, ReadonlySet<string>>();

function exemptOf(policy: CapPolicy): ReadonlySet<string> {
  let set = exemptSets.get(policy);
  if (set === undefined) exemptSets.set(policy, (set = new Set(policy.exemptChannels ?? [])));
  return set;
}

/**
 * One contact's history prepared for repeated checks (times sorted, local days and channels beside
 * them). The placement loop asks it several times per touch; build it once per contact and `add`
 * placed touches. Histories are short (a contact's touches over a few weeks), so plain arrays and
 * linear scans beat maps here.
 */
export class CapState {
  private readonly clock: ZoneClock;
  private readonly policy: CapPolicy;
  private readonly exempt: ReadonlySet<string>;
  private readonly times: number[] = [];
  private readonly days: number[] = [];
  private readonly channels: string[] = [];

  constructor(history: readonly TouchRecord[], policy: CapPolicy, zone: string) {
    this.clock = zoneClock(zone);
    this.policy = policy;
    this.exempt = exemptOf(policy);
    for (const h of history) this.add(h);
  }

  /** Counts a touch (for instance one just placed by arbitration); exempt channels do not count. */
  add(touch: Pick<TouchRecord, 'at' | 'channel'>): void {
    if (this.exempt.size > 0 && this.exempt.has(touch.channel)) return;
    const day = Math.floor(this.clock.local(touch.at) / DAY);
    const n = this.times.length;
    if (n === 0 || (this.times[n - 1] as number) <= touch.at) {
      this.times.push(touch.at);
      this.days.push(day);
      this.channels.push(touch.channel);
      return;
    }
    const at = lowerBound(this.times, touch.at);
    this.times.splice(at, 0, touch.at);
    this.days.splice(at, 0, day);
    this.channels.splice(at, 0, touch.channel);
  }

  /** The first cap a touch at `t` on `channel` breaks, with the end of the forbidden stretch. */
  violation(t: number, channel: string): { reason: CapReason; until: number } | null {
    const n = this.times.length;
    if (n === 0 || (this.exempt.size > 0 && this.exempt.has(channel))) return null;
    const day = Math.floor(this.clock.local(t) / DAY);
    let sameDay = 0;
    for (let i = 0; i < n; i++) if (this.days[i] === day) sameDay++;
    if (sameDay >= this.policy.perDay) {
      return { reason: 'per_day', until: this.clock.startOfDay(day + 1) };
    }
    const week = this.weekBlockEnd(t);
    if (week !== null) return { reason: 'per_7_days', until: week };
    const gap = this.policy.minGapByChannel[channel];
    if (gap !== undefined && gap > 0) {
      let until: number | null = null;
      for (let i = 0; i < n; i++) {
        const h = this.times[i] as number;
        if (
          this.channels[i] === channel &&
          t > h - gap &&
          t < h + gap &&
          (until === null || h + gap > until)
        ) {
          until = h + gap;
        }
      }
      if (until !== null) return { reason: 'min_gap', until };
    }
    return null;
  }

  /**
   * `k` = perRolling7Days touches x_i … x_{i+k-1} (consecutive when sorted) spanning less than 7 days
   * forbid every t in (x_{i+k-1} − 7d, x_i + 7d): some 7-day window would then hold k + 1 touches.
   * Returns the furthest end among the groups that forbid t, or null.
   */
  private weekBlockEnd(t: number): number | null {
    const k = this.policy.perRolling7Days;
    const xs = this.times;
    if (xs.length < k) return null;
    let until: number | null = null;
    // Only groups whose first touch is after t − 7d can forbid t.
    let i = lowerBound(xs, t - WEEK + 1);
    for (; i + k - 1 < xs.length; i++) {
      const first = xs[i] as number;
      const last = xs[i + k - 1] as number;
      if (last - WEEK >= t) break; // later groups start even later
      if (last - first < WEEK && t > last - WEEK && t < first + WEEK) {
        if (until === null || first + WEEK > until) until = first + WEEK;
      }
    }
    return until;
  }

  /** The earliest instant ≥ `t` at which a touch on `channel` breaks no cap. */
  earliestAllowed(t: number, channel: string): number {
    for (let guard = 0; guard < 100_000; guard++) {
      const v = this.violation(t, channel);
      if (v === null) return t;
      t = v.until;
    }
    throw new Error(`frequency caps: no allowed instant found after ${t}`);
  }
}

function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whether a touch at `candidate.at` on `candidate.channel` respects the caps given the contact's
 * `history` (past and planned touches, not including the candidate itself). When it does not, the
 * result names the first cap broken and the earliest instant at which the touch would respect them
 * all (send windows aside).
 */
export function checkCaps(
  history: readonly TouchRecord[],
  candidate: { at: number; channel: string },
  policy: CapPolicy,
  zone: string,
): CapCheck {
  const state = new CapState(history, policy, zone);
  const first = state.violation(candidate.at, candidate.channel);
  if (first === null) return { ok: true };
  return {
    ok: false,
    reason: first.reason,
    nextAllowedAt: state.earliestAllowed(first.until, candidate.channel),
  };
}
