// Campaign lifecycle operations: launch (guardrails, frozen plan, enrollment hook), pause, resume, end,
// and the clock-driven start and completion. Status moves are conditional updates, safe with many workers.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/campaign-diff.js';
import { campaignWindow, type CampaignSpec, type CampaignStatus } from '../../domain/campaign.js';
import { BatonError } from '../../domain/errors.js';
import { blockingFindings, type Finding } from '../../domain/guardrails/index.js';
import { launchTarget, transition, type LifecycleAction } from '../../domain/lifecycle.js';
import { CampaignsRepository, type Campaign, type FrozenPlan } from '../campaigns.repository.js';
import type { Store } from '../db.js';
import { lintCampaignSpec } from './lint-facts.js';

export interface LaunchHooks {
  /**
   * Runs inside the launch transaction (with a store whose `db` is the transaction) after the status and
   * frozen plan are written: the engine enrolls the audience here. Throwing rolls the launch back.
   */
  onLaunched?(tx: Store, campaign: Campaign, now: number): Promise<void>;
}

/** Hooks for moves made by hand; each runs inside the transaction that moves the status. */
export interface MoveHooks {
  onPaused?(tx: Store, campaign: Campaign, now: number): Promise<void>;
  /** The engine releases held touches here. */
  onResumed?(tx: Store, campaign: Campaign, now: number): Promise<void>;
  /** The engine closes open enrollments and pending touches here. */
  onEnded?(tx: Store, campaign: Campaign, now: number): Promise<void>;
}

export type LifecycleHooks = LaunchHooks & MoveHooks & TickHooks;

export interface TickHooks {
  /** Inside the transaction that moves a scheduled campaign to running at window.start. */
  onStarted?(tx: Store, campaign: Campaign, now: number): Promise<void>;
  /** Inside the transaction that completes a campaign at window.end. */
  onCompleted?(tx: Store, campaign: Campaign, now: number): Promise<void>;
}

export interface LaunchResult {
  campaign: Campaign;
  /** Warnings that did not block the launch. */
  findings: Finding[];
}

export function frozenPlanOf(spec: CampaignSpec): FrozenPlan {
  return {
    goal: spec.goal ?? null,
    measurement: spec.measurement ?? null,
    window: spec.window ?? null,
    audience: spec.audience ?? null,
  };
}

/** SHA-256 of the plan's canonical JSON (keys sorted): equal plans hash equally. */
export function planHash(plan: FrozenPlan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

async function load(store: Store, workspaceId: string, id: string): Promise<Campaign> {
  const c = await new CampaignsRepository(store).get(workspaceId, id);
  if (!c) throw BatonError.notFound('campaign', id);
  return c;
}

function raced(id: string): BatonError {
  return new BatonError(
    'conflict',
    `campaign ${id} changed status while this request ran: look again and retry`,
  );
}

export async function launchCampaign(
  store: Store,
  workspaceId: string,
  id: string,
  now: number,
  hooks: LaunchHooks = {},
): Promise<LaunchResult> {
  const c = await load(store, workspaceId, id);
  transition(c.status, 'launch', id);
  const findings = await lintCampaignSpec(store, workspaceId, c.spec, now);
  const blocking = blockingFindings(findings);
  if (blocking.length > 0) {
    throw new BatonError(
      'blocked_by_guardrails',
      `cannot launch ${id}: ${blocking.length} blocking finding${blocking.length > 1 ? 's' : ''} (${blocking.map((f) => f.code).join(', ')})`,
      {
        findings: blocking,
        issues: blocking.map((f) => ({ path: f.path, message: `${f.code}: ${f.message}` })),
      },
    );
  }
  const to = launchTarget(campaignWindow(c.spec)?.start ?? null, now);
  const plan = frozenPlanOf(c.spec);
  const campaign = await store.db.transaction().execute(async (trx) => {
    const tx: Store = { ...store, db: trx };
    const repo = new CampaignsRepository(tx);
    const ok = await repo.setStatus(workspaceId, id, c.status, to, now, {
      frozenPlan: plan,
      frozenHash: planHash(plan),
      launchedAt: now,
    });
    if (!ok) throw raced(id);
    const launched = (await repo.get(workspaceId, id))!;
    await hooks.onLaunched?.(tx, launched, now);
    return launched;
  });
  return { campaign, findings };
}

async function move(
  store: Store,
  workspaceId: string,
  id: string,
  action: LifecycleAction,
  now: number,
  hook: ((tx: Store, c: Campaign, now: number) => Promise<void>) | undefined,
  pick?: (next: CampaignStatus, c: Campaign) => CampaignStatus,
): Promise<Campaign> {
  const c = await load(store, workspaceId, id);
  let next = transition(c.status, action, id);
  if (pick) next = pick(next, c);
  const ended = next === 'completed' || next === 'cancelled';
  return store.db.transaction().execute(async (trx) => {
    const tx: Store = { ...store, db: trx };
    const repo = new CampaignsRepository(tx);
    if (!(await repo.setStatus(workspaceId, id, c.status, next, now, ended ? { endedAt: now } : {})))
      throw raced(id);
    const moved = (await repo.get(workspaceId, id))!;
    await hook?.(tx, moved, now);
    return moved;
  });
}

export function pauseCampaign(
  store: Store,
  workspaceId: string,
  id: string,
  now: number,
  hooks: MoveHooks = {},
): Promise<Campaign> {
  return move(store, workspaceId, id, 'pause', now, hooks.onPaused);
}

/** Back to running, or to scheduled when the window has not started yet. */
export function resumeCampaign(
  store: Store,
  workspaceId: string,
  id: string,
  now: number,
  hooks: MoveHooks = {},
): Promise<Campaign> {
  return move(store, workspaceId, id, 'resume', now, hooks.onResumed, (next, c) =>
    next === 'running' ? launchTarget(campaignWindow(c.spec)?.start ?? null, now) : next,
  );
}

/** Ends by hand: a campaign that ran is completed; one that never started is cancelled. */
export function endCampaign(
  store: Store,
  workspaceId: string,
  id: string,
  now: number,
  hooks: MoveHooks = {},
): Promise<Campaign> {
  return move(store, workspaceId, id, 'end', now, hooks.onEnded);
}

/** Marks a completed campaign as reviewed (the review module calls this once its report is written). */
export function reviewCampaign(
  store: Store,
  workspaceId: string,
  id: string,
  now: number,
): Promise<Campaign> {
  return move(store, workspaceId, id, 'review', now, undefined);
}

export interface TickChange {
  id: string;
  from: CampaignStatus;
  to: CampaignStatus;
}

/**
 * What the clock does to a workspace's campaigns at `now`: a scheduled campaign starts at window.start,
 * a running (or paused) one completes at window.end. The engine calls this; it never reads the clock.
 */
export async function tickLifecycle(
  store: Store,
  workspaceId: string,
  now: number,
  hooks: TickHooks = {},
): Promise<TickChange[]> {
  const live = await new CampaignsRepository(store).list(workspaceId, {
    statuses: ['scheduled', 'running', 'paused'],
  });
  const changes: TickChange[] = [];
  for (const c of live) {
    const w = campaignWindow(c.spec);
    if (!w) continue;
    let status = c.status;
    if (status === 'scheduled' && w.start <= now) {
      const moved = await store.db.transaction().execute(async (trx) => {
        const tx: Store = { ...store, db: trx };
        const repo = new CampaignsRepository(tx);
        if (
          !(await repo.setStatus(workspaceId, c.id, 'scheduled', transition('scheduled', 'start', c.id), now))
        )
          return false;
        await hooks.onStarted?.(tx, (await repo.get(workspaceId, c.id))!, now);
        return true;
      });
      if (!moved) continue;
      changes.push({ id: c.id, from: 'scheduled', to: 'running' });
      status = 'running';
    }
    if ((status === 'running' || status === 'paused') && w.end !== null && w.end <= now) {
      const from = status;
      const moved = await store.db.transaction().execute(async (trx) => {
        const tx: Store = { ...store, db: trx };
        const repo = new CampaignsRepository(tx);
        const to = transition(from, 'complete', c.id);
        if (!(await repo.setStatus(workspaceId, c.id, from, to, now, { endedAt: now }))) return false;
        await hooks.onCompleted?.(tx, (await repo.get(workspaceId, c.id))!, now);
        return true;
      });
      if (moved) changes.push({ id: c.id, from, to: 'completed' });
    }
  }
  return changes;
}
