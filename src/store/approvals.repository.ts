// Approvals: a campaign move requested by one person and performed when a second one approves it.
import { BatonError } from '../domain/errors.js';
import type { Role } from '../domain/roles.js';
import type { Store } from './db.js';
import { newId } from './ids.js';

export const APPROVAL_ACTIONS = ['launch', 'pause', 'end'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'failed'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface Approval {
  id: string;
  workspaceId: string;
  action: ApprovalAction;
  target: { type: 'campaign'; id: string };
  status: ApprovalStatus;
  requestedBy: string;
  requestedRole: Role | null;
  requestedAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  note: string | null;
  error: string | null;
}

type Row = {
  id: string;
  workspace_id: string;
  action: string;
  target_type: string;
  target_id: string;
  status: string;
  requested_by: string;
  requested_role: string | null;
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
  error: string | null;
};

function toApproval(r: Row): Approval {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    action: r.action as ApprovalAction,
    target: { type: 'campaign', id: r.target_id },
    status: r.status as ApprovalStatus,
    requestedBy: r.requested_by,
    requestedRole: r.requested_role as Role | null,
    requestedAt: Number(r.requested_at),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    note: r.note,
    error: r.error,
  };
}

export class ApprovalsRepository {
  constructor(private readonly store: Store) {}

  /** A pending request; a second request for the same move of the same campaign is a conflict. */
  async request(
    workspaceId: string,
    input: { action: ApprovalAction; campaignId: string; requestedBy: string; requestedRole: Role | null },
    now: number,
  ): Promise<Approval> {
    return this.store.db.transaction().execute(async (trx) => {
      const open = await trx
        .selectFrom('approvals')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('target_id', '=', input.campaignId)
        .where('action', '=', input.action)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (open) {
        throw new BatonError(
          'conflict',
          `the ${input.action} of campaign ${input.campaignId} already waits for approval (${open.id})`,
          { approval_id: open.id },
        );
      }
      const row: Row = {
        id: newId('apr', now),
        workspace_id: workspaceId,
        action: input.action,
        target_type: 'campaign',
        target_id: input.campaignId,
        status: 'pending',
        requested_by: input.requestedBy,
        requested_role: input.requestedRole,
        requested_at: now,
        decided_by: null,
        decided_at: null,
        note: null,
        error: null,
      };
      await trx.insertInto('approvals').values(row).execute();
      return toApproval(row);
    });
  }

  async get(workspaceId: string, id: string): Promise<Approval | undefined> {
    const r = await this.store.db
      .selectFrom('approvals')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toApproval(r);
  }

  async list(workspaceId: string, filter: { status?: ApprovalStatus } = {}): Promise<Approval[]> {
    let q = this.store.db.selectFrom('approvals').selectAll().where('workspace_id', '=', workspaceId);
    if (filter.status) q = q.where('status', '=', filter.status);
    const rows = await q.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(500).execute();
    return rows.map(toApproval);
  }

  /** Moves a pending approval to its decision; false when someone decided it first. */
  async decide(
    workspaceId: string,
    id: string,
    decision: { status: 'approved' | 'rejected'; by: string; note?: string | null },
    now: number,
  ): Promise<boolean> {
    const r = await this.store.db
      .updateTable('approvals')
      .set({ status: decision.status, decided_by: decision.by, decided_at: now, note: decision.note ?? null })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** An approved move that could not be performed (the campaign's state changed, a guardrail blocks). */
  async markFailed(workspaceId: string, id: string, error: string): Promise<void> {
    await this.store.db
      .updateTable('approvals')
      .set({ status: 'failed', error })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .execute();
  }
}
