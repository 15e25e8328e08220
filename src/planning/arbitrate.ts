// Priority arbitration: several campaigns want the same contact; the higher priority is placed first,
// the others take the next slot the caps allow (deferred, never dropped).
import { CapState, type CapPolicy, type TouchRecord } from './frequency-caps.js';
import type { Holidays } from './holidays.js';
import { placeWithState, type Placement } from './place-touch.js';
import type { CampaignWindow, SendWindow } from './send-window.js';

export interface TouchCandidate {
  /** The caller's key for the touch (for instance the enrollment and step). */
  id: string;
  campaignId: string;
  /** Higher goes first. */
  priority: number;
  channel: string;
  /** Earliest instant the touch may go. */
  from: number;
  sendWindow?: SendWindow;
  campaignWindow?: CampaignWindow | null;
}

export interface Arbitrated {
  candidate: TouchCandidate;
  placement: Placement;
}

/** Priority descending, then campaign id, then earliest instant, then id: a total, deterministic order. */
export function compareCandidates(a: TouchCandidate, b: TouchCandidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.campaignId !== b.campaignId) return a.campaignId < b.campaignId ? -1 : 1;
  if (a.from !== b.from) return a.from - b.from;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Places one contact's candidate touches in priority order; each placed touch counts against the
 * caps of the ones after it. Results come in placement order.
 */
export function arbitrate(
  candidates: readonly TouchCandidate[],
  history: readonly TouchRecord[],
  policy: CapPolicy | null,
  zone: string,
  holidays?: Holidays,
): Arbitrated[] {
  const caps = policy === null ? null : new CapState(history, policy, zone);
  const out: Arbitrated[] = [];
  for (const candidate of [...candidates].sort(compareCandidates)) {
    const placement = placeWithState(
      {
        from: candidate.from,
        channel: candidate.channel,
        zone,
        sendWindow: candidate.sendWindow,
        holidays,
        campaignWindow: candidate.campaignWindow,
      },
      caps,
    );
    if (caps !== null && 'at' in placement) caps.add({ at: placement.at, channel: candidate.channel });
    out.push({ candidate, placement });
  }
  return out;
}
