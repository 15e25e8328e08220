// /api/v1/webhooks/signing-secret: the secret a workspace's webhook receivers verify `Baton-Signature`
// with (docs/webhooks.md), and its rotation with a grace period during which requests carry a second
// signature made with the previous secret. Derived, not stored: only keys with the `admin` scope may read it.
import { z } from 'zod';
import { webhookSigningSecret } from '../../channels/webhook-signature.js';
import { workspaceSettings } from '../../domain/workspace-settings.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, isoTime } from './resource-schemas.js';

const HOUR = 3_600_000;
/** Default grace period of a rotation: a working day for receivers to take the new secret. */
const DEFAULT_GRACE_HOURS = 24;
const MAX_GRACE_HOURS = 24 * 30;

const secretResponse = z.object({
  secret: z.string().describe('HMAC-SHA256 key of the `Baton-Signature` header'),
  version: z.number().int().describe('workspace setting `webhooks.secret_version`'),
  previous: z
    .object({ secret: z.string(), version: z.number().int(), valid_until: isoTime })
    .nullable()
    .describe('the secret before the last rotation, still signing requests (a second v1=) until valid_until'),
  header: z.literal('Baton-Signature'),
  scheme: z.literal('t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=<previous>]'),
});

const rotateBody = z
  .object({
    grace_hours: z
      .number()
      .min(0, 'must be 0 (end the previous secret now) or more')
      .max(MAX_GRACE_HOURS, `must be at most ${MAX_GRACE_HOURS} (30 days)`)
      .default(DEFAULT_GRACE_HOURS)
      .describe('how long requests stay signed with the previous secret as well'),
  })
  .strict();

export const webhooksRoutes: RouteModule = (app, ctx) => {
  const workspaces = new WorkspacesRepository(ctx.store);

  async function current(ws: string) {
    const raw = (await workspaces.get(ws))?.settings ?? {};
    return { raw, webhooks: workspaceSettings(raw).webhooks };
  }

  function describe(ws: string, webhooks: Awaited<ReturnType<typeof current>>['webhooks']) {
    const previous = webhooks.previous_secret;
    const live = previous && Date.parse(previous.valid_until) > ctx.clock.now();
    return {
      secret: webhookSigningSecret(ctx.secret, ws, webhooks.secret_version),
      version: webhooks.secret_version,
      previous: live
        ? {
            secret: webhookSigningSecret(ctx.secret, ws, previous.version),
            version: previous.version,
            valid_until: new Date(Date.parse(previous.valid_until)).toISOString(),
          }
        : null,
      header: 'Baton-Signature' as const,
      scheme: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=<previous>]' as const,
    };
  }

  app.get(
    '/webhooks/signing-secret',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags: ['webhooks'],
        summary:
          'The secret webhook receivers verify Baton-Signature with (and the previous one in its grace period)',
        response: { 200: secretResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      return describe(ws, (await current(ws)).webhooks);
    },
  );

  app.post(
    '/webhooks/signing-secret/rotate',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags: ['webhooks'],
        summary:
          'Rotate the signing secret: new requests are signed with the new secret, and also with the old one until the grace period ends',
        body: rotateBody,
        response: { 200: secretResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      const graceMs = Math.round(req.body.grace_hours * HOUR);
      let rotated = { version: 0, previous: null as { version: number; valid_until: string } | null };
      // Read, rotate and write as one change, so two rotations at once make two versions, not one.
      const raw = await workspaces.changeSettings(ws, (settings) => {
        const { webhooks } = workspaceSettings(settings);
        const previous =
          graceMs > 0
            ? { version: webhooks.secret_version, valid_until: new Date(now + graceMs).toISOString() }
            : null;
        rotated = { version: webhooks.secret_version + 1, previous };
        const next = {
          ...(settings.webhooks as Record<string, unknown> | undefined),
          secret_version: rotated.version,
          previous_secret: previous,
        };
        return { ...settings, webhooks: next };
      });
      await auditRequest(ctx.store, req, {
        at: now,
        action: 'webhook_secret.rotate',
        target: { type: 'workspace', id: ws },
        details: {
          version: rotated.version,
          previous_version: rotated.version - 1,
          previous_valid_until: rotated.previous?.valid_until ?? null,
        },
      });
      return describe(ws, workspaceSettings(raw).webhooks);
    },
  );
};
