// Launch, pause, resume and end as the API performs them: the move runs with the engine's hooks and its
// audit entry is written inside the same transaction; moves that need approval become a pending request.
import type { FastifyRequest } from 'fastify';
import { approvalRequired, workspaceSettings } from '../domain/workspace-settings.js';
import type { Finding } from '../domain/guardrails/index.js';
import type { Campaign } from '../store/campaigns.repository.js';
import {
  endCampaign,
  launchCampaign,
  pauseCampaign,
  resumeCampaign,
  type LifecycleHooks,
} from '../store/campaigns/index.js';
import { ApprovalsRepository, type Approval } from '../store/approvals.repository.js';
import { recordAudit, type AuditActor } from '../store/audit.repository.js';
import type { Store } from '../store/db.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { auditActor, principalOf } from './audit.js';

export type CampaignMove = 'launch' | 'pause' | 'resume' | 'end';

export interface MoveResult {
  campaign: Campaign;
  findings: Finding[];
}

/** Performs a move, writing `campaign.<move>` to the audit log in the move's own transaction. */
export async function performMove(
  store: Store,
  hooks: LifecycleHooks,
  workspaceId: string,
  move: CampaignMove,
  campaignId: string,
  now: number,
  who: { actor: AuditActor; ip: string | null; details?: Record<string, unknown> },
): Promise<MoveResult> {
  const audit = async (tx: Store, c: Campaign): Promise<void> =>
    recordAudit(tx, {
      workspaceId,
      at: now,
      actor: who.actor,
      action: `campaign.${move}`,
      target: { type: 'campaign', id: c.id },
      ip: who.ip,
      details: { status: c.status, revision: c.revision, ...who.details },
    });
  const wrap =
    (hook: ((tx: Store, c: Campaign, now: number) => Promise<void>) | undefined) =>
    async (tx: Store, c: Campaign, at: number): Promise<void> => {
      await hook?.(tx, c, at);
      await audit(tx, c);
    };
  if (move === 'launch') {
    const r = await launchCampaign(store, workspaceId, campaignId, now, {
      ...hooks,
      onLaunched: wrap(hooks.onLaunched),
    });
    return { campaign: r.campaign, findings: r.findings };
  }
  const fn = { pause: pauseCampaign, resume: resumeCampaign, end: endCampaign }[move];
  const hook = { pause: hooks.onPaused, resume: hooks.onResumed, end: hooks.onEnded }[move];
  const key = { pause: 'onPaused', resume: 'onResumed', end: 'onEnded' }[move];
  const campaign = await fn(store, workspaceId, campaignId, now, { ...hooks, [key]: wrap(hook) });
  return { campaign, findings: [] };
}

/** Whether this request's move waits for a second person: the workspace asks for it and the caller is no admin. */
export async function needsApproval(
  store: Store,
  req: FastifyRequest,
  workspaceId: string,
  move: CampaignMove,
): Promise<boolean> {
  if (move === 'resume') return false;
  const auth = req.auth;
  if (!auth || auth.role === 'admin' || (!auth.role && auth.scopes.includes('admin'))) return false;
  const ws = await new WorkspacesRepository(store).get(workspaceId);
  return approvalRequired(workspaceSettings(ws?.settings), move);
}

/** Files the request for approval and audits it. */
export async function requestApproval(
  store: Store,
  req: FastifyRequest,
  workspaceId: string,
  move: 'launch' | 'pause' | 'end',
  campaignId: string,
  now: number,
): Promise<Approval> {
  const approval = await new ApprovalsRepository(store).request(
    workspaceId,
    { action: move, campaignId, requestedBy: principalOf(req), requestedRole: req.auth?.role ?? null },
    now,
  );
  await recordAudit(store, {
    workspaceId,
    at: now,
    actor: auditActor(req),
    action: 'approval.request',
    target: { type: 'approval', id: approval.id },
    ip: req.ip,
    details: { move, campaign_id: campaignId },
  });
  return approval;
}
