// The marketing calendar: GET /api/v1/calendar (planned and sent touches per day, campaign and channel,
// collisions counted, social posts) and GET /api/v1/calendar.ics (campaign windows, social posts and daily
// volumes as iCalendar).
import { z } from 'zod';
import { buildCalendar, calendarIcs } from '../../engine/calendar.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, inRequest, isoTime } from './resource-schemas.js';

const rangeQuery = z
  .object({
    from: z
      .string()
      .max(40)
      .optional()
      .describe(
        'YYYY-MM-DD (start of that day in the workspace zone) or an ISO 8601 date-time; default 7 days ago',
      ),
    to: z
      .string()
      .max(40)
      .optional()
      .describe('YYYY-MM-DD (that day included) or an ISO 8601 date-time (excluded); default 4 weeks ahead'),
  })
  .strict();

const calendarResponse = z.object({
  zone: z.string().describe('the workspace zone the days are local to'),
  from: isoTime,
  to: isoTime,
  days: z.array(
    z.object({
      date: z.string(),
      planned: z.number().int().describe('touches planned, held or in flight that day'),
      sent: z.number().int(),
      collisions: z.number().int().describe('people touched by two or more campaigns that day'),
      entries: z.array(
        z.object({
          campaign_id: z.string(),
          channel: z.string(),
          planned: z.number().int(),
          sent: z.number().int(),
        }),
      ),
    }),
  ),
  posts: z
    .array(
      z.object({
        campaign_id: z.string(),
        post_id: z.string(),
        account: z.string(),
        at: isoTime,
        status: z.string().describe('planned | sending | sent | failed | cancelled'),
        text: z.string(),
      }),
    )
    .describe("the campaigns' social posts in the range"),
  totals: z.object({ planned: z.number().int(), sent: z.number().int(), collisions: z.number().int() }),
});

const tags = ['calendar'];

export const calendarRoutes: RouteModule = (app, ctx) => {
  const read = { preValidation: requireScope('read') };

  app.get(
    '/calendar',
    {
      ...read,
      schema: {
        tags,
        summary: 'Planned and sent touches per day, campaign and channel, with cross-campaign collisions',
        querystring: rangeQuery,
        response: { 200: calendarResponse, ...commonErrors },
      },
    },
    async (req) => {
      const cal = await buildCalendar(ctx.store, workspaceOf(req), req.query, ctx.clock.now()).catch(
        inRequest('querystring'),
      );
      return {
        zone: cal.zone,
        from: new Date(cal.from).toISOString(),
        to: new Date(cal.to).toISOString(),
        days: cal.days.map((d) => ({
          date: d.date,
          planned: d.planned,
          sent: d.sent,
          collisions: d.collisions,
          entries: d.entries.map((e) => ({
            campaign_id: e.campaignId,
            channel: e.channel,
            planned: e.planned,
            sent: e.sent,
          })),
        })),
        posts: cal.posts.map((p) => ({
          campaign_id: p.campaignId,
          post_id: p.postId,
          account: p.account,
          at: new Date(p.at).toISOString(),
          status: p.status,
          text: p.text,
        })),
        totals: cal.totals,
      };
    },
  );

  app.get(
    '/calendar.ics',
    {
      ...read,
      schema: {
        tags,
        summary: 'The calendar as iCalendar (text/calendar): campaign windows and daily touch volumes',
        querystring: rangeQuery,
      },
    },
    async (req, reply) => {
      const body = await calendarIcs(ctx.store, workspaceOf(req), req.query, ctx.clock.now()).catch(
        inRequest('querystring'),
      );
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', 'attachment; filename="baton.ics"')
        .send(body);
    },
  );
};
