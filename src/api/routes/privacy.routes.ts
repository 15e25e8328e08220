// /api/v1/contacts/:id/export: everything Baton holds about one person as JSON (access and portability
// requests). Erasure is `DELETE /api/v1/contacts/:id?erase=true` (contacts.routes.ts). Both need `admin`.
import { z } from 'zod';
import { exportContact } from '../../store/privacy/index.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, idParams } from './resource-schemas.js';

const exportResponse = z
  .object({
    format: z.literal('baton.contact-export.v1'),
    exported_at: z.string(),
    workspace_id: z.string(),
    contact: z.record(z.string(), z.unknown()),
    account: z.record(z.string(), z.unknown()).nullable(),
    identities: z.array(z.record(z.string(), z.unknown())),
    consent: z.object({
      subscription_status: z.string(),
      sms_consent: z.boolean(),
      category_optouts: z.array(z.record(z.string(), z.unknown())),
      suppressions: z.array(z.record(z.string(), z.unknown())),
    }),
    lists: z.array(z.record(z.string(), z.unknown())),
    enrollments: z.array(z.record(z.string(), z.unknown())),
    touches: z.array(z.record(z.string(), z.unknown())),
    events: z.array(z.record(z.string(), z.unknown())),
    conversions: z.array(z.record(z.string(), z.unknown())),
    channel_log: z.array(z.record(z.string(), z.unknown())),
    other: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  })
  .describe('Everything held about the person; times in epoch ms with an `_iso` twin');

export const privacyRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/contacts/:id/export',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags: ['contacts'],
        summary: 'Export everything held about a contact (access / portability request)',
        params: idParams,
        response: { 200: exportResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      const doc = await exportContact(ctx.store, ws, req.params.id, now);
      await auditRequest(ctx.store, req, {
        at: now,
        action: 'contact.export',
        target: { type: 'contact', id: req.params.id },
      });
      return doc;
    },
  );
};
