// /api/v1/campaigns: CRUD over campaign specs (every edit a revision), lint, lifecycle moves, revisions.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CAMPAIGN_STATUSES, campaignSchema } from '../../domain/campaign.js';
import { BatonError } from '../../domain/errors.js';
import { FINDING_CODES } from '../../domain/guardrails/index.js';
import { CampaignsRepository, type Campaign } from '../../store/campaigns.repository.js';
import {
  applyCampaign,
  deleteCampaign,
  lintCampaignSpec,
  type LifecycleHooks,
} from '../../store/campaigns/index.js';
import { auditActor, auditRequest } from '../audit.js';
import { needsApproval, performMove, requestApproval, type CampaignMove } from '../campaign-moves.js';
import { approvalResponse, toApprovalResponse } from './approvals.routes.js';
import { closeCampaign, engineLaunchHooks, releaseHeldTouches } from '../../engine/campaign-hooks.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, isoTime } from './resource-schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const campaignResponse = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  revision: z.number().int(),
  spec: z.record(z.string(), z.unknown()).describe('the campaign spec, defaults filled'),
  frozen_plan: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('goal, measurement, window and audience as frozen at launch'),
  frozen_hash: z.string().nullable().describe('SHA-256 of the frozen plan (canonical JSON)'),
  launched_at: isoTime.nullable(),
  ended_at: isoTime.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});

const findingResponse = z.object({
  code: z.enum(FINDING_CODES),
  severity: z.enum(['blocking', 'warning']),
  message: z.string(),
  path: z.string(),
});

const diffEntry = z.object({
  path: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});

const applyResponse = z.object({
  campaign: campaignResponse,
  change: z.enum(['created', 'updated', 'unchanged']),
  diff: z.array(diffEntry),
});

function toResponse(c: Campaign): z.infer<typeof campaignResponse> {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    status: c.status,
    revision: c.revision,
    spec: c.spec as unknown as Record<string, unknown>,
    frozen_plan: c.frozenPlan as unknown as Record<string, unknown> | null,
    frozen_hash: c.frozenHash,
    launched_at: iso(c.launchedAt),
    ended_at: iso(c.endedAt),
    created_at: iso(c.createdAt)!,
    updated_at: iso(c.updatedAt)!,
  };
}

const tags = ['campaigns'];

/** What the engine does on each move made over the API: enroll at launch, release on resume, close on end. */
export const engineLifecycleHooks: LifecycleHooks = {
  ...engineLaunchHooks,
  onResumed: async (tx, c, now) => void (await releaseHeldTouches(tx, c.workspaceId, c.id, now)),
  onEnded: closeCampaign,
};

/** The routes, with the lifecycle hooks their moves run (the engine's by default). */
export function campaignsRoutesWith(hooks: LifecycleHooks = engineLifecycleHooks): RouteModule {
  return (app, ctx) => {
    const repo = new CampaignsRepository(ctx.store);
    const read = { preValidation: requireScope('read') };
    const write = { preValidation: requireScope('write') };
    const launch = { preValidation: requireScope('launch') };
    const author = (req: { auth?: { keyId: string } }): string | null => req.auth?.keyId ?? null;

    /** Performs the move (audited), or files it for approval when the workspace asks for one. */
    async function move(req: FastifyRequest, name: CampaignMove, id: string) {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      if (name !== 'resume' && (await needsApproval(ctx.store, req, ws, name))) {
        if (!(await repo.get(ws, id))) throw BatonError.notFound('campaign', id);
        const approval = await requestApproval(ctx.store, req, ws, name, id, now);
        return { approval: toApprovalResponse(approval) };
      }
      return performMove(ctx.store, hooks, ws, name, id, now, { actor: auditActor(req), ip: req.ip });
    }

    app.get(
      '/campaigns',
      {
        ...read,
        schema: {
          tags,
          summary: 'List campaigns, oldest first',
          querystring: z.object({ status: z.enum(CAMPAIGN_STATUSES).optional() }).strict(),
          response: { 200: z.object({ data: z.array(campaignResponse) }), ...commonErrors },
        },
      },
      async (req) => {
        const list = await repo.list(
          workspaceOf(req),
          req.query.status ? { statuses: [req.query.status] } : {},
        );
        return { data: list.map(toResponse) };
      },
    );

    app.post(
      '/campaigns',
      {
        ...write,
        schema: {
          tags,
          summary: 'Create a campaign in draft from its spec (409 when the id exists)',
          body: campaignSchema,
          response: { 201: applyResponse, 409: errorResponse, ...commonErrors },
        },
      },
      async (req, reply) => {
        const r = await applyCampaign(
          ctx.store,
          workspaceOf(req),
          { spec: req.body, mode: 'create', author: author(req) },
          ctx.clock.now(),
        );
        await auditRequest(ctx.store, req, {
          at: ctx.clock.now(),
          action: 'campaign.create',
          target: { type: 'campaign', id: r.campaign.id },
          details: { revision: r.campaign.revision },
        });
        return reply.status(201).send({ campaign: toResponse(r.campaign), change: r.change, diff: r.diff });
      },
    );

    app.get(
      '/campaigns/:id',
      {
        ...read,
        schema: {
          tags,
          summary: 'Get a campaign',
          params: idParams,
          response: { 200: campaignResponse, 404: errorResponse, ...commonErrors },
        },
      },
      async (req) => {
        const c = await repo.get(workspaceOf(req), req.params.id);
        if (!c) throw BatonError.notFound('campaign', req.params.id);
        return toResponse(c);
      },
    );

    app.put(
      '/campaigns/:id',
      {
        ...write,
        schema: {
          tags,
          summary:
            'Replace a campaign spec (a new revision; 409 `frozen` for goal or holdout edits after launch)',
          params: idParams,
          body: campaignSchema,
          response: { 200: applyResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
        },
      },
      async (req) => {
        if (req.body.id !== req.params.id) {
          throw BatonError.invalid([
            {
              path: 'body.id',
              message: `must be ${JSON.stringify(req.params.id)} (a campaign id cannot change)`,
            },
          ]);
        }
        const r = await applyCampaign(
          ctx.store,
          workspaceOf(req),
          { spec: req.body, mode: 'update', author: author(req) },
          ctx.clock.now(),
        );
        if (r.change !== 'unchanged') {
          await auditRequest(ctx.store, req, {
            at: ctx.clock.now(),
            action: 'campaign.update',
            target: { type: 'campaign', id: r.campaign.id },
            details: { revision: r.campaign.revision, diff: r.diff },
          });
        }
        return { campaign: toResponse(r.campaign), change: r.change, diff: r.diff };
      },
    );

    app.delete(
      '/campaigns/:id',
      {
        ...write,
        schema: {
          tags,
          summary: 'Delete a campaign that was never launched',
          params: idParams,
          response: { 204: z.null(), 404: errorResponse, 409: errorResponse, ...commonErrors },
        },
      },
      async (req, reply) => {
        await deleteCampaign(ctx.store, workspaceOf(req), req.params.id);
        await auditRequest(ctx.store, req, {
          at: ctx.clock.now(),
          action: 'campaign.delete',
          target: { type: 'campaign', id: req.params.id },
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/campaigns/lint',
      {
        ...read,
        schema: {
          tags,
          summary:
            'Run the launch guardrails on a spec that is not saved (templates come from the workspace)',
          body: campaignSchema,
          response: {
            200: z.object({ blocking: z.number().int(), findings: z.array(findingResponse) }),
            ...commonErrors,
          },
        },
      },
      async (req) => {
        const findings = await lintCampaignSpec(ctx.store, workspaceOf(req), req.body, ctx.clock.now());
        return { blocking: findings.filter((f) => f.severity === 'blocking').length, findings };
      },
    );

    app.post(
      '/campaigns/:id/lint',
      {
        ...read,
        schema: {
          tags,
          summary: 'Run the launch guardrails on the stored campaign',
          params: idParams,
          response: {
            200: z.object({ blocking: z.number().int(), findings: z.array(findingResponse) }),
            404: errorResponse,
            ...commonErrors,
          },
        },
      },
      async (req) => {
        const ws = workspaceOf(req);
        const c = await repo.get(ws, req.params.id);
        if (!c) throw BatonError.notFound('campaign', req.params.id);
        const findings = await lintCampaignSpec(ctx.store, ws, c.spec, ctx.clock.now());
        return { blocking: findings.filter((f) => f.severity === 'blocking').length, findings };
      },
    );

    app.post(
      '/campaigns/:id/launch',
      {
        ...launch,
        schema: {
          tags,
          summary:
            'Launch: 409 `blocked_by_guardrails` listing blocking findings; freezes the measurement plan ' +
            '(202 with a pending approval when the workspace requires one)',
          params: idParams,
          response: {
            200: z.object({ campaign: campaignResponse, findings: z.array(findingResponse) }),
            202: z.object({ approval: approvalResponse }),
            404: errorResponse,
            409: errorResponse,
            ...commonErrors,
          },
        },
      },
      async (req, reply) => {
        const r = await move(req, 'launch', req.params.id);
        if ('approval' in r) return reply.status(202).send(r);
        return { campaign: toResponse(r.campaign), findings: r.findings };
      },
    );

    const moves = [
      ['pause', 'Pause a scheduled or running campaign'],
      ['resume', 'Resume a paused campaign'],
      ['end', 'End now: completed if it ran, cancelled if it never started'],
    ] as const;
    for (const [name, summary] of moves) {
      app.post(
        `/campaigns/:id/${name}`,
        {
          ...launch,
          schema: {
            tags,
            summary: `${summary} (409 \`illegal_transition\` names the state and the allowed moves)`,
            params: idParams,
            response: {
              200: campaignResponse,
              202: z.object({ approval: approvalResponse }),
              404: errorResponse,
              409: errorResponse,
              ...commonErrors,
            },
          },
        },
        async (req, reply) => {
          const r = await move(req, name, req.params.id);
          if ('approval' in r) return reply.status(202).send(r);
          return toResponse(r.campaign);
        },
      );
    }

    app.get(
      '/campaigns/:id/revisions',
      {
        ...read,
        schema: {
          tags,
          summary: 'Revisions of a campaign, newest first, each with its diff against the previous one',
          params: idParams,
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  revision: z.number().int(),
                  author: z.string().nullable(),
                  created_at: isoTime,
                  diff: z.array(diffEntry),
                  spec: z.record(z.string(), z.unknown()),
                }),
              ),
            }),
            404: errorResponse,
            ...commonErrors,
          },
        },
      },
      async (req) => {
        const ws = workspaceOf(req);
        if (!(await repo.get(ws, req.params.id))) throw BatonError.notFound('campaign', req.params.id);
        const revs = await repo.listRevisions(ws, req.params.id);
        return {
          data: revs.map((r) => ({
            revision: r.revision,
            author: r.author,
            created_at: iso(r.createdAt)!,
            diff: r.diff,
            spec: r.spec as unknown as Record<string, unknown>,
          })),
        };
      },
    );
  };
}

export const campaignsRoutes: RouteModule = campaignsRoutesWith();
