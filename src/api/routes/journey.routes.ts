// The buyer journey: GET/PUT /api/v1/journey/stages (the workspace's journey map, a preset or its own
// stages), GET /api/v1/journey/flows (transitions, time in stage, conversion; per campaign enrolled vs
// holdout), GET /api/v1/journey/accounts/:id/timeline and GET /api/v1/journey/deals/:id/attribution.
import { z } from 'zod';
import { ACCOUNT_STAGE_MODES, JOURNEY_PRESETS, journeyInputSchema } from '../../domain/journey.js';
import { ruleNodeSchema } from '../../domain/segment.js';
import { accountTimeline, loadJourneyFlows } from '../../store/journey/flows.js';
import { getJourney, setJourney } from '../../store/journey/journey-map.repository.js';
import { importDeals } from '../../store/journey/deals-import.js';
import { attributeDeal } from '../../store/journey/pipeline.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { checkOwned } from '../ownership.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, inRequest, isoTime } from './resource-schemas.js';

const tags = ['journey'];
const iso = (ms: number): string => new Date(ms).toISOString();

const milestone = z.union([z.object({ event: z.string() }), z.object({ stage: z.string() })]);
const journeyResponse = z.object({
  enabled: z.boolean().describe('false until the workspace saves a map: no stage is tracked before that'),
  preset: z.string(),
  presets: z.array(z.string()),
  stages: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      criteria: ruleNodeSchema.optional(),
      account_criteria: ruleNodeSchema.optional(),
    }),
  ),
  account_stage: z
    .enum(ACCOUNT_STAGE_MODES)
    .describe("how an account's stage is derived: its contacts' furthest, its own criteria, or the further"),
  milestones: z.object({ lead_creation: milestone, opportunity_creation: milestone }),
  w_shares: z.object({
    first_touch: z.number(),
    lead_creation: z.number(),
    opportunity_creation: z.number(),
    rest: z.number(),
  }),
  deal_lookback_days: z.number().int(),
  updated_at: isoTime.nullable(),
});

const putBody = journeyInputSchema.extend({
  stages: z
    .array(
      z
        .object({
          id: z.string(),
          name: z.string(),
          criteria: ruleNodeSchema.optional(),
          account_criteria: ruleNodeSchema
            .optional()
            .describe(
              "the account's own criteria: its fields and events (deals), read unless account_stage is contacts",
            ),
        })
        .strict(),
    )
    .optional()
    .describe('the stages in order; each criteria is a segment rule (the first stage usually has none)'),
});

const rangeQuery = z
  .object({
    from: z
      .string()
      .max(40)
      .optional()
      .describe('YYYY-MM-DD or ISO 8601 date-time; default 90 days before to'),
    to: z
      .string()
      .max(40)
      .optional()
      .describe('YYYY-MM-DD (that day included) or ISO 8601 date-time; default now'),
  })
  .strict();

const transition = z.object({ from: z.string().nullable(), to: z.string(), count: z.number().int() });
const armFlows = z.object({
  arm: z.enum(['treatment', 'holdout']),
  enrolled: z.number().int(),
  moved: z.number().int().describe('enrolled contacts who moved forward at least one stage after enrolling'),
  rate: z.number().nullable(),
  transitions: z.array(transition),
});
const flowsResponse = z.object({
  from: isoTime,
  to: isoTime,
  subject: z.enum(['contact', 'account']),
  stages: z.array(z.object({ id: z.string(), name: z.string() })),
  transitions: z.array(transition).describe('stage-to-stage changes in the range (from null: entered)'),
  time_in_stage: z.array(
    z.object({
      stage: z.string(),
      completed: z.number().int(),
      median_days: z.number().nullable(),
      mean_days: z.number().nullable(),
      current: z.number().int(),
    }),
  ),
  conversion: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      entered: z.number().int(),
      reached: z.number().int(),
      rate: z.number().nullable(),
    }),
  ),
  campaign: z
    .object({
      id: z.string(),
      treatment: armFlows,
      holdout: armFlows,
      lift: z
        .object({
          difference: z.number(),
          interval: z.object({ lower: z.number(), upper: z.number() }),
          p_value: z.number(),
        })
        .nullable()
        .describe('treatment − holdout rate of moving forward, 95% Wald interval'),
    })
    .nullable(),
});

const timelineResponse = z.object({
  account_id: z.string(),
  stage: z.string().nullable(),
  from: isoTime,
  to: isoTime,
  items: z.array(
    z.record(z.string(), z.unknown()).describe('a touch, a stage change or a deal, oldest first'),
  ),
});

const credit = z.record(z.string(), z.number());
const dealResponse = z.object({
  deal: z.object({
    event_id: z.string(),
    type: z.string(),
    account_id: z.string(),
    deal_id: z.string().nullable(),
    amount: z.number(),
    occurred_at: isoTime,
  }),
  window: z.object({ from: isoTime, to: isoTime }),
  milestones: z.object({ lead_creation: isoTime.nullable(), opportunity_creation: isoTime.nullable() }),
  touches: z.array(
    z.object({
      touch_id: z.string(),
      contact_id: z.string(),
      campaign_id: z.string(),
      channel: z.string(),
      at: isoTime,
      roles: z.array(z.string()),
      credit,
    }),
  ),
  by_campaign: z.array(z.object({ campaign_id: z.string(), credit })),
  by_channel: z.array(z.object({ channel: z.string(), credit })),
  unattributed: z.number(),
});

export const journeyRoutes: RouteModule = (app, ctx) => {
  const read = { preValidation: requireScope('read') };

  const journeyJson = async (ws: string): Promise<z.infer<typeof journeyResponse>> => {
    const j = await getJourney(ctx.store, ws);
    const m = j.journey.map;
    return {
      enabled: j.enabled,
      preset: m.preset,
      presets: [...JOURNEY_PRESETS],
      stages: m.stages,
      account_stage: m.account_stage,
      milestones: m.milestones,
      w_shares: m.w_shares,
      deal_lookback_days: m.deal_lookback_days,
      updated_at: j.updatedAt === null ? null : iso(j.updatedAt),
    };
  };

  app.get(
    '/journey/stages',
    {
      ...read,
      schema: {
        tags,
        summary: "The workspace's journey map (the default preset, not enabled, until one is saved)",
        response: { 200: journeyResponse, ...commonErrors },
      },
    },
    async (req) => journeyJson(workspaceOf(req)),
  );

  app.put(
    '/journey/stages',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary:
          'Sets the journey map (a preset, or stages with segment-rule criteria) and re-evaluates every contact',
        body: putBody,
        response: { 200: journeyResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      await setJourney(ctx.store, ws, req.body, ctx.clock.now()).catch(inRequest('body'));
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'journey_map.update',
        target: null,
        // Stage ids only: criteria are segment rules, which may name people.
        details: {
          preset: req.body.preset ?? null,
          stages: req.body.stages?.map((st) => st.id) ?? null,
        },
      });
      return journeyJson(ws);
    },
  );

  app.get(
    '/journey/flows',
    {
      ...read,
      schema: {
        tags,
        summary:
          'Stage transitions, time in stage and conversion in a range; per campaign, enrolled vs holdout',
        querystring: rangeQuery.extend({
          campaign: z.string().max(100).optional().describe('a campaign id: its enrolled vs holdout moves'),
          subject: z.enum(['contact', 'account']).optional().describe('contacts (default) or accounts'),
        }),
        response: { 200: flowsResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const v = await loadJourneyFlows(ctx.store, workspaceOf(req), req.query, ctx.clock.now()).catch(
        inRequest('querystring'),
      );
      return {
        from: iso(v.from),
        to: iso(v.to),
        subject: v.subject,
        stages: v.stages,
        transitions: v.flows.transitions,
        time_in_stage: v.flows.timeInStage.map((t) => ({
          stage: t.stage,
          completed: t.completed,
          median_days: t.medianDays,
          mean_days: t.meanDays,
          current: t.current,
        })),
        conversion: v.flows.conversion,
        campaign: v.campaign && {
          id: v.campaign.id,
          treatment: v.campaign.treatment,
          holdout: v.campaign.holdout,
          lift: v.campaign.lift && {
            difference: v.campaign.lift.difference,
            interval: { lower: v.campaign.lift.interval.lower, upper: v.campaign.lift.interval.upper },
            p_value: v.campaign.lift.pValue,
          },
        },
      };
    },
  );

  app.get(
    '/journey/accounts/:id/timeline',
    {
      ...read,
      schema: {
        tags,
        summary: "One account's journey: touches on its contacts, stage changes and deals, oldest first",
        params: idParams,
        querystring: rangeQuery,
        response: { 200: timelineResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      await checkOwned(ctx.store, req, 'account', req.params.id, req.params.id);
      const t = await accountTimeline(
        ctx.store,
        workspaceOf(req),
        req.params.id,
        req.query,
        ctx.clock.now(),
      ).catch(inRequest('querystring'));
      return {
        account_id: t.accountId,
        stage: t.stage,
        from: iso(t.from),
        to: iso(t.to),
        items: t.items.map((i) => ({ ...i, at: iso(i.at) })),
      };
    },
  );

  app.post(
    '/journey/deals/import',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary:
          'Imports deals from a CRM export (CSV: type, amount, occurred_at, account_id | account_domain | account_external_id, deal_id); all or nothing',
        body: z.object({ csv: z.string().min(1).max(5_000_000) }).strict(),
        response: {
          200: z.object({ rows: z.number().int(), stored: z.number().int(), duplicates: z.number().int() }),
          ...commonErrors,
        },
      },
    },
    async (req) => {
      const r = await importDeals(ctx.store, workspaceOf(req), req.body.csv, ctx.clock.now()).catch(
        inRequest('body'),
      );
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'deal.import',
        target: null,
        details: { rows: r.rows, stored: r.stored, duplicates: r.duplicates },
      });
      return r;
    },
  );

  app.get(
    '/journey/deals/:id/attribution',
    {
      ...read,
      schema: {
        tags,
        summary:
          'A deal event credited across the touches on every contact of its account (W-shaped and others)',
        params: idParams,
        response: { 200: dealResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const { journey } = await getJourney(ctx.store, ws);
      const a = await attributeDeal(ctx.store, ws, req.params.id, journey.map);
      await checkOwned(ctx.store, req, 'deal event', req.params.id, a.deal.accountId);
      const at = (ms: number | null): string | null => (ms === null ? null : iso(ms));
      return {
        deal: {
          event_id: a.deal.eventId,
          type: a.deal.type,
          account_id: a.deal.accountId,
          deal_id: a.deal.dealId,
          amount: a.deal.amount,
          occurred_at: iso(a.deal.occurredAt),
        },
        window: { from: iso(a.window.from), to: iso(a.window.to) },
        milestones: {
          lead_creation: at(a.milestones.leadAt),
          opportunity_creation: at(a.milestones.opportunityAt),
        },
        touches: a.credit.touches.map((t) => ({
          touch_id: t.touchId,
          contact_id: t.contactId,
          campaign_id: t.campaignId,
          channel: t.channel,
          at: iso(t.at),
          roles: t.roles,
          credit: t.credit,
        })),
        by_campaign: a.credit.byCampaign.map((c) => ({ campaign_id: c.campaignId, credit: c.credit })),
        by_channel: a.credit.byChannel.map((c) => ({ channel: c.channel, credit: c.credit })),
        unattributed: a.credit.unattributed,
      };
    },
  );
};
