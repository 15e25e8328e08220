// /api/v1/webhooks/signing-secret: the secret a workspace's webhook receivers verify `Baton-Signature`
// with (docs/webhooks.md). Derived, not stored: only keys with the `admin` scope may read it.
import { z } from 'zod';
import { webhookSigningSecret } from '../../channels/webhook-signature.js';
import { workspaceSettings } from '../../domain/workspace-settings.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import { requireScope, workspaceOf } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors } from './resource-schemas.js';

const secretResponse = z.object({
  secret: z.string().describe('HMAC-SHA256 key of the `Baton-Signature` header'),
  version: z.number().int().describe('workspace setting `webhooks.secret_version`; bump it to rotate'),
  header: z.literal('Baton-Signature'),
  scheme: z.literal('t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>'),
});

export const webhooksRoutes: RouteModule = (app, ctx) => {
  const workspaces = new WorkspacesRepository(ctx.store);
  app.get(
    '/webhooks/signing-secret',
    {
      preValidation: requireScope('admin'),
      schema: {
        tags: ['webhooks'],
        summary: 'The secret webhook receivers verify Baton-Signature with',
        response: { 200: secretResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const settings = workspaceSettings((await workspaces.get(ws))?.settings ?? {});
      const version = settings.webhooks.secret_version;
      return {
        secret: webhookSigningSecret(ctx.secret, ws, version),
        version,
        header: 'Baton-Signature' as const,
        scheme: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>' as const,
      };
    },
  );
};
