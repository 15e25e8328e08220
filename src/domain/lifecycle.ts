// The campaign lifecycle as a pure transition table: draft → scheduled → running → completed → reviewed,
// plus paused and cancelled. Every status change in Baton goes through `transition`.
import type { CampaignStatus } from './campaign.js';
import { BatonError } from './errors.js';

export const LIFECYCLE_ACTIONS = ['launch', 'start', 'pause', 'resume', 'end', 'complete', 'review'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/**
 * `launch` goes to running, or to scheduled when the window starts later (see `launchTarget`).
 * `start` and `complete` are what the clock does at window.start and window.end (`tickLifecycle`).
 * `end` by hand: a campaign that never ran is cancelled; one that ran is completed.
 */
const TABLE: Record<CampaignStatus, Partial<Record<LifecycleAction, CampaignStatus>>> = {
  draft: { launch: 'running', end: 'cancelled' },
  scheduled: { start: 'running', pause: 'paused', end: 'cancelled' },
  running: { pause: 'paused', end: 'completed', complete: 'completed' },
  paused: { resume: 'running', end: 'completed', complete: 'completed' },
  completed: { review: 'reviewed' },
  reviewed: {},
  cancelled: {},
};

/** Actions a person can take (the others, `start` and `complete`, are the clock's). */
export const MANUAL_ACTIONS: readonly LifecycleAction[] = ['launch', 'pause', 'resume', 'end', 'review'];

export function allowedActions(status: CampaignStatus, who: 'person' | 'any' = 'any'): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter(
    (a) => TABLE[status][a] !== undefined && (who === 'any' || MANUAL_ACTIONS.includes(a)),
  );
}

/** The status after `action`, or BatonError('illegal_transition') naming the state and what is allowed. */
export function transition(
  status: CampaignStatus,
  action: LifecycleAction,
  campaignId = 'the campaign',
): CampaignStatus {
  const next = TABLE[status][action];
  if (next === undefined) {
    const allowed = allowedActions(status, MANUAL_ACTIONS.includes(action) ? 'person' : 'any');
    throw new BatonError(
      'illegal_transition',
      `cannot ${action} ${campaignId}: it is ${status}; ${
        allowed.length ? `allowed now: ${allowed.join(', ')}` : 'no further change is allowed'
      }`,
      { status, action, allowed },
    );
  }
  return next;
}

/** Where `launch` (or `resume`) lands: scheduled while window.start is still ahead, else running. */
export function launchTarget(windowStart: number | null, now: number): CampaignStatus {
  return windowStart !== null && windowStart > now ? 'scheduled' : 'running';
}
