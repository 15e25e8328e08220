// /api/v1/campaigns/:id/report, /review and /clone: the campaign report, the team's learnings, the next campaign.
import { z } from 'zod';
import { CAMPAIGN_STATUSES } from '../../domain/campaign.js';
import { VERDICTS } from '../../measure/experiments/decide-winner.js';
import { reportToJson } from '../../measure/report-text.js';
import { cloneCampaign, MAX_LEARNINGS, writeReview } from '../../store/campaign-review.js';
import { buildCampaignReport } from '../../store/report-data.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, isoTime } from './resource-schemas.js';

const tags = ['reports'];
const section = z.record(z.string(), z.unknown());

const autoWinner = z
  .object({
    campaignId: z.string(),
    stepId: z.string(),
    metric: z.string(),
    firstSendAt: isoTime.describe("the step's first send: decide_after counts from it"),
    decideAt: isoTime,
    decidedAt: isoTime,
    variantId: z.string().describe('the variant the held contacts were sent'),
    verdict: z
      .enum(VERDICTS)
      .describe(
        'winner; no_difference (every variant within the equivalence margin); inconclusive (no evidence either way by the decision time: the fallback went)',
      ),
    decidedBy: z.enum(['sequential_test', 'fallback']),
    reason: z.string(),
    arms: z
      .array(z.object({ id: z.string(), n: z.number().int(), successes: z.number().int() }))
      .describe("the test share's counts at the decision (the held contacts are not in them)"),
    comparisons: z.array(section),
    released: z.number().int().describe('held touches handed the variant at the decision'),
  })
  .describe("an auto-winner step's recorded decision");

const experiment = z
  .looseObject({
    step: z.string(),
    autoWinner: autoWinner
      .nullable()
      .describe('the recorded auto-winner decision; null while the test runs or for a plain A/B step'),
  })
  .describe('an A/B step: arms, sequential decision, recommendation');

const reportResponse = z
  .object({
    campaign: z.object({
      id: z.string(),
      name: z.string(),
      kind: z.string(),
      status: z.enum(CAMPAIGN_STATUSES),
      launchedAt: isoTime.nullable(),
      endedAt: isoTime.nullable(),
      frozenHash: z.string().nullable(),
      plan: z.enum(['frozen', 'spec']).describe('frozen: judged against the plan frozen at launch'),
    }),
    asOf: isoTime,
    goal: section.describe('goal met or missed against the frozen target (`available: false` with a reason)'),
    pacing: section.describe(
      'actual vs expected, projection with an interval, status; per month for always-on',
    ),
    funnel: section.describe(
      'per campaign, channel, step and variant: distinct contacts and rates with denominators ("converted": a conversion with a campaign touch in the lookback); treatment and holdout: each arm\'s enrolled and converted by the lift\'s rule (goal event after enrollment, intention to treat), explained by comparisonBasis',
    ),
    attribution: section.describe('credit by channel and by step under every model, side by side'),
    experiments: z.array(experiment),
    lift: section.describe(
      'treatment vs holdout: absolute and relative lift, incremental conversions and value',
    ),
    cost: section.describe(
      'cost per result from spend (or budget), and per channel under the headline model',
    ),
    learnings: z.object({ text: z.string(), author: z.string().nullable(), updatedAt: isoTime }).nullable(),
  })
  .describe('Rates carry numerator and denominator; a value that cannot be computed is null with a reason.');

const reviewBody = z
  .object({ learnings: z.string().min(1, 'write what the team learned').max(MAX_LEARNINGS) })
  .strict();

const reviewResponse = z.object({
  campaign_id: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  moved_to_reviewed: z.boolean(),
  learnings: z.string(),
  author: z.string().nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});

const cloneBody = z
  .object({
    name: z.string().min(1).max(200),
    id: z.string().min(1).max(63).optional().describe('default: a slug of the name'),
  })
  .strict();

const cloneResponse = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  source: z.string(),
  winners: z.array(z.object({ step: z.string(), variant: z.string() })),
  still_testing: z.array(z.string()),
  spec: z.record(z.string(), z.unknown()),
});

const iso = (ms: number): string => new Date(ms).toISOString();

export const reportsRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/campaigns/:id/report',
    {
      preValidation: requireScope('read'),
      schema: {
        tags,
        summary: 'The campaign report against its frozen plan',
        params: idParams,
        response: { 200: reportResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) =>
      reportToJson(
        await buildCampaignReport(ctx.store, workspaceOf(req), req.params.id, ctx.clock.now()),
      ) as z.infer<typeof reportResponse>,
  );

  app.put(
    '/campaigns/:id/review',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary: "Write the team's learnings; a completed campaign becomes reviewed",
        params: idParams,
        body: reviewBody,
        response: { 200: reviewResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const r = await writeReview(
        ctx.store,
        workspaceOf(req),
        req.params.id,
        req.body.learnings,
        req.auth?.keyId ?? null,
        ctx.clock.now(),
      );
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'campaign.review',
        target: { type: 'campaign', id: r.campaign.id },
        details: { moved_to_reviewed: r.moved },
      });
      return {
        campaign_id: r.campaign.id,
        status: r.campaign.status,
        moved_to_reviewed: r.moved,
        learnings: r.review.learnings,
        author: r.review.author,
        created_at: iso(r.review.createdAt),
        updated_at: iso(r.review.updatedAt),
      };
    },
  );

  app.post(
    '/campaigns/:id/clone',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary: 'Start the next campaign (a draft) from a reviewed one, winners as defaults',
        params: idParams,
        body: cloneBody,
        response: { 201: cloneResponse, 404: errorResponse, 409: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const r = await cloneCampaign(
        ctx.store,
        workspaceOf(req),
        req.params.id,
        { name: req.body.name, id: req.body.id, author: req.auth?.keyId ?? null },
        ctx.clock.now(),
      );
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'campaign.create',
        target: { type: 'campaign', id: r.campaign.id },
        details: { revision: r.campaign.revision, cloned_from: r.source },
      });
      return reply.status(201).send({
        id: r.campaign.id,
        name: r.campaign.name,
        status: r.campaign.status,
        source: r.source,
        winners: r.winners,
        still_testing: r.stillTesting,
        spec: r.campaign.spec as unknown as Record<string, unknown>,
      });
    },
  );
};
