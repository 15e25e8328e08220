// Account-level deal credit: one deal (pipeline created or revenue won) shared among the touches on every
// contact of its account, under first touch, last touch, linear, position-based and W-shaped, side by side.
// Pure: the touches, the milestone instants and the amount come in; credits per touch, campaign and channel
// go out.
import { wShapedWeights, type WRole, type WShares } from './w-shaped.js';

export const DEAL_MODELS = ['first_touch', 'last_touch', 'linear', 'position_based', 'w_shaped'] as const;
export type DealModel = (typeof DEAL_MODELS)[number];

export interface DealTouch {
  id: string;
  at: number;
  contactId: string;
  campaignId: string;
  channel: string;
  stepId: string;
}

export interface DealMilestones {
  leadAt: number | null;
  opportunityAt: number | null;
}

export interface TouchCredit {
  touchId: string;
  contactId: string;
  campaignId: string;
  channel: string;
  at: number;
  /** The touch's W-shaped milestone roles. */
  roles: WRole[];
  credit: Record<DealModel, number>;
}

export interface DealCredit {
  amount: number;
  touches: TouchCredit[];
  byCampaign: Array<{ campaignId: string; credit: Record<DealModel, number> }>;
  byChannel: Array<{ channel: string; credit: Record<DealModel, number> }>;
  /** Amount no touch could take (no touch in the window). */
  unattributed: number;
}

const zero = (): Record<DealModel, number> => ({
  first_touch: 0,
  last_touch: 0,
  linear: 0,
  position_based: 0,
  w_shaped: 0,
});

/** Position-based (U-shaped) weights: 40/20/40, a pair 50/50, one touch everything (as heuristics.ts). */
function uShaped(n: number): number[] {
  if (n === 1) return [1];
  if (n === 2) return [0.5, 0.5];
  return Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)));
}

/** Shares `amount` among `touches` (any order; sorted here by time, then id) under every deal model. */
export function creditDeal(
  touches: readonly DealTouch[],
  milestones: DealMilestones,
  shares: WShares,
  amount: number,
): DealCredit {
  const sorted = [...touches].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  const w = wShapedWeights(
    sorted.map((t) => t.at),
    milestones,
    shares,
  );
  const u = n > 0 ? uShaped(n) : [];
  const credits: TouchCredit[] = sorted.map((t, i) => ({
    touchId: t.id,
    contactId: t.contactId,
    campaignId: t.campaignId,
    channel: t.channel,
    at: t.at,
    roles: w[i]!.roles,
    credit: {
      first_touch: i === 0 ? amount : 0,
      last_touch: i === n - 1 ? amount : 0,
      linear: amount / n,
      position_based: amount * u[i]!,
      w_shaped: amount * w[i]!.weight,
    },
  }));
  const group = (key: (t: TouchCredit) => string): Map<string, Record<DealModel, number>> => {
    const out = new Map<string, Record<DealModel, number>>();
    for (const t of credits) {
      const k = key(t);
      const acc = out.get(k) ?? zero();
      for (const m of DEAL_MODELS) acc[m] += t.credit[m];
      out.set(k, acc);
    }
    return out;
  };
  return {
    amount,
    touches: credits,
    byCampaign: [...group((t) => t.campaignId)].map(([campaignId, credit]) => ({ campaignId, credit })),
    byChannel: [...group((t) => t.channel)].map(([channel, credit]) => ({ channel, credit })),
    unattributed: n === 0 ? amount : 0,
  };
}
