// W-shaped attribution: credit for one conversion (a deal) among its path's touches, with fixed shares for
// three milestone touches — the first touch, the lead-creation touch and the opportunity-creation touch —
// and the rest spread evenly over the touches between them. Definition: Adobe Experience League, "Marketo
// Measure Attribution Models", W-Shaped Model (FT, LC and OC 30% each, 10% to intermediary touchpoints; the
// OC touch is the marketing interaction closest before the opportunity's creation).
import { BatonError } from '../../domain/errors.js';

export type WRole = 'first_touch' | 'lead_creation' | 'opportunity_creation' | 'intermediate' | 'after';

export interface WShares {
  first_touch: number;
  lead_creation: number;
  opportunity_creation: number;
  rest: number;
}

export interface WMilestones {
  /** When the lead was created (the milestone touch is the last touch at or before it). */
  leadAt?: number | null;
  /** When the opportunity was created; touches after it are outside the W (they get nothing). */
  opportunityAt?: number | null;
}

export interface WTouchCredit {
  /** Index into the touches given (sorted by time). */
  index: number;
  /** Every milestone this touch is (a touch can be first touch and lead creation at once). */
  roles: WRole[];
  weight: number;
}

const MILESTONES = ['first_touch', 'lead_creation', 'opportunity_creation'] as const;

function lastAtOrBefore(times: readonly number[], at: number, upTo: number): number {
  let found = -1;
  for (let i = 0; i < upTo && times[i]! <= at; i++) found = i;
  return found;
}

/**
 * The W-shaped weight of each touch, `times` sorted ascending. Milestones that fall on the same touch add
 * up on it. A milestone with no touch at or before it gives its share to nobody, and a path with no touch
 * between the milestones leaves the rest share unused; the weights are then rescaled to sum to 1, so every
 * deal is credited in full as long as it has one touch (decision 0014).
 */
export function wShapedWeights(
  times: readonly number[],
  milestones: WMilestones,
  shares: WShares,
): WTouchCredit[] {
  for (const k of [...MILESTONES, 'rest'] as const) {
    const v = shares[k];
    if (!(v >= 0 && v <= 1))
      throw BatonError.invalid([{ path: `w_shares.${k}`, message: `must be between 0 and 1, got ${v}` }]);
  }
  for (let i = 1; i < times.length; i++)
    if (times[i]! < times[i - 1]!)
      throw BatonError.invalid([{ path: 'touches', message: 'must be sorted by time, oldest first' }]);
  const n = times.length;
  const out: WTouchCredit[] = times.map((_, index) => ({ index, roles: [], weight: 0 }));
  if (n === 0) return out;
  const oppAt = milestones.opportunityAt ?? null;
  // Touches after the opportunity's creation are outside the W.
  let end = n;
  if (oppAt !== null) {
    end = lastAtOrBefore(times, oppAt, n) + 1;
    for (let i = end; i < n; i++) out[i]!.roles.push('after');
    if (end === 0) return out;
  }
  const at: Record<(typeof MILESTONES)[number], number> = {
    first_touch: 0,
    lead_creation:
      milestones.leadAt === undefined || milestones.leadAt === null
        ? -1
        : lastAtOrBefore(times, milestones.leadAt, end),
    opportunity_creation: oppAt === null ? -1 : end - 1,
  };
  for (const m of MILESTONES) {
    const i = at[m];
    if (i < 0) continue;
    out[i]!.roles.push(m);
    out[i]!.weight += shares[m];
  }
  const between = out.slice(0, end).filter((t) => t.roles.length === 0);
  for (const t of between) {
    t.roles.push('intermediate');
    t.weight = shares.rest / between.length;
  }
  const total = out.reduce((s, t) => s + t.weight, 0);
  if (total > 0) for (const t of out) t.weight /= total;
  else for (let i = 0; i < end; i++) out[i]!.weight = 1 / end;
  return out;
}
