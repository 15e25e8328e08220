// GET /api/v1/audit: the workspace's audit trail, newest first, for admins (keys with the admin scope).
import { z } from 'zod';
import { AuditRepository, type AuditRecord } from '../../store/audit.repository.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, inRequest, isoTime } from './resource-schemas.js';

const auditEntry = z.object({
  seq: z.number().int(),
  at: isoTime,
  actor: z.object({
    type: z.enum(['user', 'key', 'system', 'anonymous']),
    id: z.string().nullable(),
    role: z.string().nullable(),
  }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

const auditQuery = z
  .object({
    actor: z.string().min(1).max(200).optional().describe('a user or key id'),
    action: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('an action (`campaign.launch`) or a prefix ending in a dot (`campaign.`)'),
    target: z.string().min(1).max(200).optional().describe('a target id (campaign, user, key, approval…)'),
    since: z.iso.datetime({ offset: true }).optional().describe('entries at or after this instant'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

function toEntry(r: AuditRecord): z.infer<typeof auditEntry> {
  return {
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: { type: r.actor.type, id: r.actor.id, role: r.actor.role ?? null },
    action: r.action,
    target: r.target,
    ip: r.ip,
    details: r.details,
  };
}

export const auditRoutes: RouteModule = (app, ctx) => {
  const repo = new AuditRepository(ctx.store);
  app.get(
    '/audit',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first: who did what to which target, when (admins only)',
        querystring: auditQuery,
        response: {
          200: z.object({ data: z.array(auditEntry), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await repo
        .list(workspaceOf(req), {
          limit: q.limit,
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(q.target ? { target: q.target } : {}),
          ...(q.since ? { since: Date.parse(q.since) } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        })
        .catch(inRequest('querystring'));
      return { data: page.data.map(toEntry), next_cursor: page.next_cursor };
    },
  );
};
