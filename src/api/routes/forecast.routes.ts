// GET /api/v1/campaigns/:id/forecast: what the campaign would do to its audience, planned with the engine's
// own code against the touches of the other running campaigns, without sending or writing anything.
import { z } from 'zod';
import { forecastCampaign, forecastJson } from '../../engine/forecast.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, isoTime } from './resource-schemas.js';

const counts = z.record(z.string(), z.number().int()).describe('touches per channel');

export const forecastResponse = z.object({
  campaign_id: z.string(),
  start: isoTime.describe('where the simulated timeline starts (now, or the window start if later)'),
  end: isoTime.nullable().describe('the campaign end; null for open-ended programs'),
  zone: z.string().describe('the zone whose local dates the days are'),
  audience: z.object({ contacts: z.number().int(), holdout: z.number().int(), treatment: z.number().int() }),
  other_campaign_touches: z
    .number()
    .int()
    .describe('touches of other running campaigns (planned, in flight, or sent in the last 7 days) counted'),
  days: z.array(
    z.object({
      date: z.string(),
      channels: counts,
      total: z.number().int(),
      conditional: counts.describe('touches of conditional steps, if their conditions hold'),
    }),
  ),
  peak: z.object({ date: z.string(), touches: z.number().int() }).nullable(),
  totals: z.object({
    touches: z.number().int(),
    conditional: z.number().int(),
    window_closed: z.number().int(),
  }),
  capped: z.object({
    people: z.number().int().describe('people with at least one touch pushed by a frequency cap'),
    touches: z.number().int(),
    median_push_hours: z.number().nullable(),
    max_push_hours: z.number().nullable(),
  }),
  window_closed: z
    .object({ people: z.number().int(), touches: z.number().int() })
    .describe('touches that would fall after the campaign end (skipped with window_closed)'),
  steps: z.array(
    z.object({
      id: z.string(),
      channel: z.string(),
      conditional: z.boolean(),
      planned: z.number().int(),
      pushed: z.number().int(),
      window_closed: z.number().int(),
    }),
  ),
  last_touch_at: isoTime.nullable(),
});

export const forecastRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/campaigns/:id/forecast',
    {
      preValidation: requireScope('read'),
      schema: {
        tags: ['campaigns'],
        summary: 'Forecast a campaign: touches per day and channel, caps hit, touches past the end',
        params: idParams,
        response: { 200: forecastResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const f = await forecastCampaign(ctx.store, workspaceOf(req), req.params.id, {
        from: ctx.clock.now(),
      });
      return forecastJson(f) as z.infer<typeof forecastResponse>;
    },
  );
};
