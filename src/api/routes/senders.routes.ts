// /api/v1/senders: the workspace's email senders (mailboxes). Secrets (SMTP password, DKIM key) are
// written, never read back.
import { z } from 'zod';
import { effectiveDailyLimit, senderInputSchema, type Sender } from '../../domain/email-sender.js';
import { BatonError } from '../../domain/errors.js';
import { EmailSendersRepository } from '../../store/email-senders.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, inRequest } from './resource-schemas.js';

const senderResponse = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  reply_to: z.string().nullable(),
  postal_address: z.string(),
  smtp_host: z.string().nullable().describe('host of the sender’s relay; null uses the instance relay'),
  daily_limit: z.number().int(),
  hourly_rate: z.number().int(),
  warmup_days: z.number().int(),
  warmup_start: z.number().int(),
  daily_limit_today: z.number().int().describe('the daily limit after the warm-up ramp'),
  dkim_selector: z.string().nullable(),
  dkim: z.boolean().describe('messages are DKIM-signed for the sender’s domain'),
  active: z.boolean(),
});

function format(s: Sender, now: number): z.infer<typeof senderResponse> {
  return {
    id: s.id,
    email: s.email,
    name: s.name,
    reply_to: s.replyTo,
    postal_address: s.postalAddress,
    smtp_host: s.smtpUrl ? new URL(s.smtpUrl).hostname : null,
    daily_limit: s.dailyLimit,
    hourly_rate: s.hourlyRate,
    warmup_days: s.warmupDays,
    warmup_start: s.warmupStart,
    daily_limit_today: effectiveDailyLimit(s, now),
    dkim_selector: s.dkimSelector,
    dkim: s.dkimSelector !== null && s.dkimPrivateKey !== null,
    active: s.active,
  };
}

export const sendersRoutes: RouteModule = (app, ctx) => {
  const repo = new EmailSendersRepository(ctx.store);
  const tags = ['senders'];
  app.get(
    '/senders',
    {
      preValidation: requireScope('read'),
      schema: {
        tags,
        summary: 'List the workspace’s email senders',
        response: { 200: z.object({ data: z.array(senderResponse) }), ...commonErrors },
      },
    },
    async (req) => {
      const now = ctx.clock.now();
      return { data: (await repo.list(workspaceOf(req))).map((s) => format(s, now)) };
    },
  );
  app.put(
    '/senders',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary: 'Create or replace the sender with this address (its warm-up keeps its start)',
        body: senderInputSchema,
        response: { 200: senderResponse, ...commonErrors },
      },
    },
    async (req) => {
      const now = ctx.clock.now();
      const sender = await repo.upsert(workspaceOf(req), req.body, now).catch(inRequest('body'));
      // The credentials themselves never enter the trail: only that they were set.
      await auditRequest(ctx.store, req, {
        at: now,
        action: 'sender.put',
        target: { type: 'sender', id: sender.id },
        details: { email: sender.email, smtp_host: sender.smtpUrl ? new URL(sender.smtpUrl).hostname : null },
      });
      return format(sender, now);
    },
  );
  app.delete(
    '/senders/:id',
    {
      preValidation: requireScope('write'),
      schema: {
        tags,
        summary: 'Remove a sender',
        params: z.object({ id: z.string().min(1).max(100) }),
        response: { 204: z.null(), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      if (!(await repo.remove(workspaceOf(req), req.params.id)))
        throw BatonError.notFound('sender', req.params.id);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'sender.delete',
        target: { type: 'sender', id: req.params.id },
      });
      return reply.status(204).send(null);
    },
  );
};
