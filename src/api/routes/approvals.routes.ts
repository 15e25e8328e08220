// /api/v1/approvals: campaign moves waiting for a second person; approving performs the move.
import { z } from 'zod';
import { BatonError, isBatonError } from '../../domain/errors.js';
import {
  APPROVAL_ACTIONS,
  APPROVAL_STATUSES,
  ApprovalsRepository,
  type Approval,
} from '../../store/approvals.repository.js';
import { auditActor, auditRequest, principalOf } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { performMove } from '../campaign-moves.js';
import { engineLifecycleHooks } from './campaigns.routes.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, isoTime } from './resource-schemas.js';

export const approvalResponse = z.object({
  id: z.string(),
  action: z.enum(APPROVAL_ACTIONS),
  target: z.object({ type: z.literal('campaign'), id: z.string() }),
  status: z.enum(APPROVAL_STATUSES),
  requested_by: z.string().describe('user or key id'),
  requested_role: z.string().nullable(),
  requested_at: isoTime,
  decided_by: z.string().nullable(),
  decided_at: isoTime.nullable(),
  note: z.string().nullable(),
  error: z.string().nullable().describe('why the approved move could not be performed'),
});

export function toApprovalResponse(a: Approval): z.infer<typeof approvalResponse> {
  return {
    id: a.id,
    action: a.action,
    target: a.target,
    status: a.status,
    requested_by: a.requestedBy,
    requested_role: a.requestedRole,
    requested_at: new Date(a.requestedAt).toISOString(),
    decided_by: a.decidedBy,
    decided_at: a.decidedAt === null ? null : new Date(a.decidedAt).toISOString(),
    note: a.note,
    error: a.error,
  };
}

const tags = ['approvals'];
const decisionBody = z
  .object({ note: z.string().max(2000).optional() })
  .strict()
  .nullish();

export const approvalsRoutes: RouteModule = (app, ctx) => {
  const repo = new ApprovalsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  // Deciding is a launch-level act: marketers and admins (keys with `launch`).
  const decide = { preValidation: requireScope('launch') };

  async function pendingOf(ws: string, id: string): Promise<Approval> {
    const a = await repo.get(ws, id);
    if (!a) throw BatonError.notFound('approval', id);
    if (a.status !== 'pending') {
      throw new BatonError('conflict', `approval ${id} is already ${a.status}`, { status: a.status });
    }
    return a;
  }

  app.get(
    '/approvals',
    {
      ...read,
      schema: {
        tags,
        summary: 'Approvals, newest first (`?status=pending` for the ones waiting)',
        querystring: z.object({ status: z.enum(APPROVAL_STATUSES).optional() }).strict(),
        response: { 200: z.object({ data: z.array(approvalResponse) }), ...commonErrors },
      },
    },
    async (req) => ({ data: (await repo.list(workspaceOf(req), req.query)).map(toApprovalResponse) }),
  );

  app.get(
    '/approvals/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'One approval',
        params: idParams,
        response: { 200: approvalResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const a = await repo.get(workspaceOf(req), req.params.id);
      if (!a) throw BatonError.notFound('approval', req.params.id);
      return toApprovalResponse(a);
    },
  );

  app.post(
    '/approvals/:id/approve',
    {
      ...decide,
      schema: {
        tags,
        summary:
          'Approve and perform the move (403 for the requester; 409 when decided already or the move fails)',
        params: idParams,
        body: decisionBody,
        response: { 200: approvalResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      const a = await pendingOf(ws, req.params.id);
      const by = principalOf(req);
      if (a.requestedBy === by) {
        throw new BatonError(
          'forbidden',
          'a second person must approve: the requester cannot approve their own request',
        );
      }
      if (!(await repo.decide(ws, a.id, { status: 'approved', by, note: req.body?.note }, now))) {
        throw new BatonError('conflict', `approval ${a.id} was decided meanwhile`);
      }
      await auditRequest(ctx.store, req, {
        at: now,
        action: 'approval.approve',
        target: { type: 'approval', id: a.id },
        details: { move: a.action, campaign_id: a.target.id, requested_by: a.requestedBy },
      });
      try {
        await performMove(ctx.store, engineLifecycleHooks, ws, a.action, a.target.id, now, {
          actor: auditActor(req),
          ip: req.ip,
          details: { approval_id: a.id, requested_by: a.requestedBy },
        });
      } catch (e) {
        const error = isBatonError(e) ? e.message : 'the move failed';
        await repo.markFailed(ws, a.id, error);
        await auditRequest(ctx.store, req, {
          at: now,
          action: 'approval.fail',
          target: { type: 'approval', id: a.id },
          details: { move: a.action, campaign_id: a.target.id, error },
        });
        throw e;
      }
      return toApprovalResponse((await repo.get(ws, a.id))!);
    },
  );

  app.post(
    '/approvals/:id/reject',
    {
      ...decide,
      schema: {
        tags,
        summary: 'Reject (or, by the requester, withdraw) a pending move',
        params: idParams,
        body: decisionBody,
        response: { 200: approvalResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      const a = await pendingOf(ws, req.params.id);
      if (
        !(await repo.decide(
          ws,
          a.id,
          { status: 'rejected', by: principalOf(req), note: req.body?.note },
          now,
        ))
      ) {
        throw new BatonError('conflict', `approval ${a.id} was decided meanwhile`);
      }
      await auditRequest(ctx.store, req, {
        at: now,
        action: 'approval.reject',
        target: { type: 'approval', id: a.id },
        details: { move: a.action, campaign_id: a.target.id, note: req.body?.note ?? null },
      });
      return toApprovalResponse((await repo.get(ws, a.id))!);
    },
  );
};
