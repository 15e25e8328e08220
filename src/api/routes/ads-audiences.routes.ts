// Ads audiences: GET /api/v1/audiences (each with its current and removed member counts) and
// GET /api/v1/audiences/:id/export?format=google|meta&mode=full|delta&since= — the customer-list file the
// platform accepts (full: text/csv), or the members added and removed since a time or since the previous
// export of that format (delta: JSON holding both files, since both platforms take removals separately).
import { z } from 'zod';
import { EXPORT_FORMATS } from '../../channels/ads/identifiers.js';
import { AdsAudiencesRepository } from '../../store/ads-audiences.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { PEOPLE_WIDE_ROLES } from '../ownership.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams, inRequest, isoTime } from './resource-schemas.js';

const exportQuery = z
  .object({
    format: z
      .enum(EXPORT_FORMATS)
      .describe('google: Customer Match CSV; meta: custom audience customer file'),
    mode: z.enum(['full', 'delta']).default('full'),
    since: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2027-01-04T12:00:00Z' })
      .optional()
      .describe('delta only: changes after this instant; default: the previous export of this format'),
  })
  .strict();

/** How each platform takes the two files of a delta (also in docs/decisions/0013). */
const UPLOAD_HELP = {
  google:
    'Google Ads > Audience manager > the customer list > Edit list: upload `added` with "Upload and append", and `removed` with "Remove data".',
  meta: 'Meta Ads Manager > Audiences > the custom audience > Edit: "Add customers" with `added` and "Remove customers" with `removed` (Marketing API: POST and DELETE /{audience-id}/users).',
} as const;

const audienceItem = z.object({
  id: z.string(),
  name: z.string(),
  members: z.number().int().describe('current members'),
  removed: z.number().int().describe('members who left (exit, unsubscribe, suppression, erasure)'),
  created_at: isoTime,
  last_export_at: isoTime.nullable(),
});

const deltaResponse = z.object({
  format: z.enum(EXPORT_FORMATS),
  since: isoTime,
  until: isoTime,
  added: z.object({ count: z.number().int(), csv: z.string() }),
  removed: z.object({ count: z.number().int(), csv: z.string() }),
  upload: z.string().describe('how to upload the two files to the platform'),
});

const tags = ['audiences'];

export const adsAudiencesRoutes: RouteModule = (app, ctx) => {
  const audiences = new AdsAudiencesRepository(ctx.store);
  const read = { preValidation: requireScope('read') };

  app.get(
    '/audiences',
    {
      ...read,
      schema: {
        tags,
        summary: 'Ads audiences filled by `ads` steps, with member counts',
        response: { 200: z.object({ data: z.array(audienceItem) }), ...commonErrors },
      },
    },
    async (req) => ({
      data: (await audiences.list(workspaceOf(req))).map((a) => ({
        id: a.id,
        name: a.name,
        members: a.members,
        removed: a.removed,
        created_at: new Date(a.createdAt).toISOString(),
        last_export_at: a.lastExportAt === null ? null : new Date(a.lastExportAt).toISOString(),
      })),
    }),
  );

  app.get(
    '/audiences/:id/export',
    {
      // Every member's identifiers: an export of the workspace's people, not a sales rep's.
      preValidation: requireScope('read', { roles: PEOPLE_WIDE_ROLES }),
      schema: {
        tags,
        summary:
          'The audience as a Google Customer Match or Meta customer-list file (full: text/csv; delta: added and removed files as JSON)',
        params: idParams,
        querystring: exportQuery,
        response: { 200: deltaResponse.or(z.string()), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const out = await audiences
        .export(
          workspaceOf(req),
          req.params.id,
          { format: q.format, mode: q.mode, since: q.since === undefined ? undefined : Date.parse(q.since) },
          ctx.clock.now(),
        )
        .catch(inRequest('querystring'));
      // Counts only: the file itself holds every member's hashed identifiers.
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'audience.export',
        target: { type: 'audience', id: (await audiences.get(workspaceOf(req), req.params.id)).id },
        details:
          out.mode === 'full'
            ? { format: q.format, mode: 'full', members: out.members }
            : {
                format: q.format,
                mode: 'delta',
                since: out.since,
                until: out.until,
                added: out.added.count,
                removed: out.removed.count,
              },
      });
      if (out.mode === 'full') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="baton-${q.format}-audience.csv"`)
          .header('x-baton-members', String(out.members))
          .send(out.csv);
      }
      return {
        format: out.format,
        since: new Date(out.since).toISOString(),
        until: new Date(out.until).toISOString(),
        added: out.added,
        removed: out.removed,
        upload: UPLOAD_HELP[out.format],
      };
    },
  );
};
