// /api/v1/campaigns/:id/spend: record ad spend against a campaign and list it; the report's cost per
// result uses it.
import { z } from 'zod';
import { CHANNELS } from '../../domain/campaign.js';
import { isoDateToDay } from '../../planning/holidays.js';
import { SpendRepository } from '../../store/spend.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import {
  commonErrors,
  cursorQuery,
  errorResponse,
  idParams,
  inRequest,
  isoTime,
  limitQuery,
  pageOf,
} from './resource-schemas.js';

const spendBody = z
  .object({
    amount: z.number().nonnegative('must not be negative').max(1e12, 'is implausibly large'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'is an ISO 4217 code such as USD'),
    date: z
      .string()
      .refine((s) => isoDateToDay(s) !== null, 'must be a calendar date as YYYY-MM-DD')
      .describe('the day the money was spent'),
    channel: z
      .enum(CHANNELS)
      .optional()
      .describe('the channel the money bought (per-channel cost per result)'),
    note: z.string().max(500).optional(),
  })
  .strict();

const spendResponse = z.object({
  id: z.string(),
  campaign_id: z.string(),
  amount: z.number(),
  currency: z.string(),
  date: z.string(),
  channel: z.string().nullable(),
  note: z.string().nullable(),
  created_at: isoTime,
});

const listQuery = z.object({ limit: limitQuery, cursor: cursorQuery }).strict();

const withIso = <T extends { created_at: number }>(e: T) => ({
  ...e,
  created_at: new Date(e.created_at).toISOString(),
});

const tags = ['campaigns'];

export const spendRoutes: RouteModule = (app, ctx) => {
  const spend = new SpendRepository(ctx.store);

  app.post(
    '/campaigns/:id/spend',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary: 'Record spend against a campaign (in its budget’s currency)',
        params: idParams,
        body: spendBody,
        response: { 201: spendResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const entry = await spend
        .add(workspaceOf(req), req.params.id, req.body, ctx.clock.now())
        .catch(inRequest('body'));
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'spend.record',
        target: { type: 'campaign', id: entry.campaign_id },
        details: { spend_id: entry.id, amount: entry.amount, currency: entry.currency, date: entry.date },
      });
      return reply.status(201).send(withIso(entry));
    },
  );

  app.get(
    '/campaigns/:id/spend',
    {
      preValidation: requireScope('read'),
      schema: {
        tags,
        summary: 'List a campaign’s recorded spend, oldest first, a page at a time',
        params: idParams,
        querystring: listQuery,
        response: { 200: pageOf(spendResponse), 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const page = await spend
        .list(workspaceOf(req), req.params.id, req.query)
        .catch(inRequest('querystring'));
      return { data: page.data.map(withIso), next_cursor: page.next_cursor };
    },
  );
};
