import { describe, expect, it } from 'vitest';
import { CAMPAIGN_STATUSES, type CampaignStatus } from './campaign.js';
import { BatonError } from './errors.js';
import {
  LIFECYCLE_ACTIONS,
  MANUAL_ACTIONS,
  allowedActions,
  launchTarget,
  transition,
  type LifecycleAction,
} from './lifecycle.js';

// The whole table: every (status, action) pair not listed here must be refused.
const LEGAL: Array<[CampaignStatus, LifecycleAction, CampaignStatus]> = [
  ['draft', 'launch', 'running'],
  ['draft', 'end', 'cancelled'],
  ['scheduled', 'start', 'running'],
  ['scheduled', 'pause', 'paused'],
  ['scheduled', 'end', 'cancelled'],
  ['running', 'pause', 'paused'],
  ['running', 'end', 'completed'],
  ['running', 'complete', 'completed'],
  ['paused', 'resume', 'running'],
  ['paused', 'end', 'completed'],
  ['paused', 'complete', 'completed'],
  ['completed', 'review', 'reviewed'],
];

describe('campaign lifecycle', () => {
  it.each(LEGAL)('%s --%s--> %s', (from, action, to) => {
    expect(transition(from, action)).toBe(to);
  });

  const illegal = CAMPAIGN_STATUSES.flatMap((s) =>
    LIFECYCLE_ACTIONS.filter((a) => !LEGAL.some(([f, la]) => f === s && la === a)).map(
      (a) => [s, a] as const,
    ),
  );

  it.each(illegal)('refuses %s --%s--> with the state and the allowed actions', (from, action) => {
    let err: unknown;
    try {
      transition(from, action, 'q1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BatonError);
    const e = err as BatonError;
    expect(e.code).toBe('illegal_transition');
    expect(e.message).toContain(`it is ${from}`);
    const who = MANUAL_ACTIONS.includes(action) ? 'person' : 'any';
    expect(e.details).toEqual({ status: from, action, allowed: allowedActions(from, who) });
    for (const a of allowedActions(from, who)) expect(e.message).toContain(a);
  });

  it('tells a person only the moves a person can make', () => {
    expect(allowedActions('running', 'person')).toEqual(['pause', 'end']);
    expect(allowedActions('scheduled', 'person')).toEqual(['pause', 'end']);
    expect(allowedActions('running')).toEqual(['pause', 'end', 'complete']);
  });

  it('has no way out of reviewed or cancelled', () => {
    expect(allowedActions('reviewed')).toEqual([]);
    expect(allowedActions('cancelled')).toEqual([]);
    expect(() => transition('cancelled', 'launch')).toThrow(/no further change/);
  });

  it('launches into scheduled only while the window start is ahead', () => {
    expect(launchTarget(2000, 1000)).toBe('scheduled');
    expect(launchTarget(1000, 1000)).toBe('running');
    expect(launchTarget(null, 1000)).toBe('running');
  });
});
