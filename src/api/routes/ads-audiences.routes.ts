// Ads audiences: GET /api/v1/audiences (each with its current and removed member counts) and
// GET /api/v1/audiences/:id/export?format=google|meta&mode=full|delta&since= — the customer-list file the
// platform accepts (full: text/csv), or the members added and removed since a time or since the previous
// export of that format (delta: JSON holding both files, since both platforms take removals separately);
// PUT/DELETE /api/v1/audiences/:id/push: the HTTPS endpoint the worker POSTs each delta to, signed.
import { z } from 'zod';
import { pushPolicy } from '../../channels/ads/audience-push.js';
import { checkTargetUrl } from '../../channels/http-guard.js';
import { EXPORT_FORMATS } from '../../channels/ads/identifiers.js';
import { webhookSigningSecret } from '../../channels/webhook-signature.js';
import { BatonError } from '../../domain/errors.js';
import { workspaceSettings } from '../../domain/workspace-settings.js';
import { AudiencePushesRepository, type AudiencePush } from '../../store/ads-audience-pushes.repository.js';
import { AdsAudiencesRepository } from '../../store/ads-audiences.repository.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
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

const pushItem = z.object({
  url: z.string(),
  format: z.enum(EXPORT_FORMATS),
  last_push_at: isoTime.nullable().describe('the last delta the endpoint accepted (2xx)'),
  last_push_error: z
    .string()
    .nullable()
    .describe('why the last push failed (its changes go with the next one); null after a success'),
});

const audienceItem = z.object({
  id: z.string(),
  name: z.string(),
  members: z.number().int().describe('current members'),
  removed: z.number().int().describe('members who left (exit, unsubscribe, suppression, erasure)'),
  created_at: isoTime,
  last_export_at: isoTime.nullable(),
  push: pushItem.nullable().describe('where the worker pushes its changes, if anywhere'),
});

const pushBody = z
  .object({
    url: z.string().max(2000).describe('the https endpoint each delta is POSTed to'),
    format: z.enum(EXPORT_FORMATS).describe('the files sent: google (Customer Match) or meta'),
  })
  .strict();

const pushResponse = pushItem.extend({
  audience_id: z.string(),
  signature: z.object({
    header: z.literal('Baton-Signature'),
    secret: z
      .string()
      .describe("the workspace's webhook signing secret (also GET /api/v1/webhooks/signing-secret)"),
    scheme: z.literal('t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=<previous>]'),
  }),
});

function pushOf(p: AudiencePush): z.infer<typeof pushItem> {
  return {
    url: p.url,
    format: p.format,
    last_push_at: p.lastPushAt === null ? null : new Date(p.lastPushAt).toISOString(),
    last_push_error: p.lastPushError,
  };
}

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
  const pushes = new AudiencePushesRepository(ctx.store);
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
    async (req) => {
      const ws = workspaceOf(req);
      const pushed = new Map((await pushes.list(ws)).map((p) => [p.audienceId, p]));
      return {
        data: (await audiences.list(ws)).map((a) => {
          const p = pushed.get(a.id);
          return {
            id: a.id,
            name: a.name,
            members: a.members,
            removed: a.removed,
            created_at: new Date(a.createdAt).toISOString(),
            last_export_at: a.lastExportAt === null ? null : new Date(a.lastExportAt).toISOString(),
            push: p ? pushOf(p) : null,
          };
        }),
      };
    },
  );

  app.put(
    '/audiences/:id/push',
    {
      // Every member's hashed identifiers leave Baton at each push, and the answer holds the signing secret.
      preValidation: requireScope('admin'),
      schema: {
        tags,
        summary:
          "Push the audience's changes (added and removed members) to an https endpoint, signed like webhooks",
        params: idParams,
        body: pushBody,
        response: { 200: pushResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const audience = await audiences.get(ws, req.params.id);
      const settings = workspaceSettings((await new WorkspacesRepository(ctx.store).get(ws))?.settings ?? {});
      // The checks that need no network (the worker checks the address each name resolves to).
      const checked = checkTargetUrl(req.body.url, pushPolicy(settings, false));
      if (!checked.ok) {
        throw BatonError.invalid([{ path: 'body.url', message: checked.reason }]);
      }
      const p = await pushes.put(
        ws,
        audience.id,
        { url: req.body.url, format: req.body.format },
        ctx.clock.now(),
      );
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'audience.push_put',
        target: { type: 'audience', id: audience.id },
        details: { host: checked.url.host, format: p.format },
      });
      return {
        ...pushOf(p),
        audience_id: audience.id,
        signature: {
          header: 'Baton-Signature' as const,
          secret: webhookSigningSecret(ctx.secret, ws, settings.webhooks.secret_version),
          scheme:
            't=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=<previous>]' as const,
        },
      };
    },
  );

  app.delete(
    '/audiences/:id/push',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags,
        summary: "Stop pushing the audience's changes",
        params: idParams,
        response: { 204: z.null().describe('no longer pushed'), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      const ws = workspaceOf(req);
      const audience = await audiences.get(ws, req.params.id);
      await pushes.delete(ws, audience.id);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'audience.push_delete',
        target: { type: 'audience', id: audience.id },
      });
      return reply.status(204).send(null);
    },
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
