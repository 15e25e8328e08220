// Social posts: GET/PUT/DELETE /api/v1/social/accounts[/:name] (the network accounts campaign posts are
// published through, each with its webhook), GET /api/v1/social/posts (planned and published posts), and
// the public GET /t/p/:token, the tracked link of a post: a click is recorded for the post's campaign
// and answered with a 302 to the post's stored target, never to a URL taken from the request.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { checkTargetUrl } from '../../channels/http-guard.js';
import { verifyToken } from '../../content/index.js';
import { appendEvents } from '../../store/events.repository.js';
import {
  findPost,
  postsBetween,
  SOCIAL_NETWORKS,
  SocialAccountsRepository,
} from '../../store/social-posts.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { errorBody } from '../errors.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, isoTime } from './resource-schemas.js';

const nameParams = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a slug: lower-case letters, digits, - and _'),
});

const accountBody = z
  .object({
    network: z.enum(SOCIAL_NETWORKS),
    webhook_url: z.url().max(2000),
  })
  .strict();

const accountItem = z.object({
  name: z.string(),
  network: z.string(),
  webhook_url: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
});

const postsQuery = z
  .object({
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  })
  .strict();

const postItem = z.object({
  id: z.string(),
  campaign_id: z.string(),
  post_id: z.string(),
  account: z.string(),
  due_at: isoTime,
  status: z.string(),
  text: z.string(),
  link: z.string().nullable(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  sent_at: isoTime.nullable(),
});

const tags = ['social'];

export const socialRoutes: RouteModule = (app, ctx) => {
  const accounts = new SocialAccountsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  const write = { preValidation: requireScope('write') };
  const toItem = (a: Awaited<ReturnType<SocialAccountsRepository['list']>>[number]) => ({
    name: a.name,
    network: a.network,
    webhook_url: a.webhookUrl,
    created_at: new Date(a.createdAt).toISOString(),
    updated_at: new Date(a.updatedAt).toISOString(),
  });

  app.get(
    '/social/accounts',
    {
      ...read,
      schema: {
        tags,
        summary: 'Social accounts that campaign posts are published through',
        response: { 200: z.object({ data: z.array(accountItem) }), ...commonErrors },
      },
    },
    async (req) => ({ data: (await accounts.list(workspaceOf(req))).map(toItem) }),
  );

  app.put(
    '/social/accounts/:name',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create or change a social account (its network and the webhook that publishes its posts)',
        params: nameParams,
        body: accountBody,
        response: { 200: accountItem, ...commonErrors },
      },
    },
    async (req, reply) => {
      // The same checks as at publish time that need no network: scheme, credentials, literal addresses.
      const checked = checkTargetUrl(req.body.webhook_url, {
        requireHttps: false,
        allowPrivateHosts: true,
        allowedHosts: [],
      });
      if (!checked.ok) {
        return reply.status(422).send(
          errorBody('invalid_input', `body.webhook_url: ${checked.reason}`, {
            issues: [{ path: 'body.webhook_url', message: checked.reason }],
          }),
        );
      }
      const a = await accounts.put(
        workspaceOf(req),
        { name: req.params.name, network: req.body.network, webhookUrl: req.body.webhook_url },
        ctx.clock.now(),
      );
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'social_account.put',
        target: { type: 'social_account', id: a.name },
        details: { network: a.network },
      });
      return toItem(a);
    },
  );

  app.delete(
    '/social/accounts/:name',
    {
      ...write,
      schema: {
        tags,
        summary: 'Remove a social account',
        params: nameParams,
        response: { 204: z.null().describe('deleted'), 404: errorResponse, ...commonErrors },
      },
    },
    async (req, reply) => {
      await accounts.delete(workspaceOf(req), req.params.name);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'social_account.delete',
        target: { type: 'social_account', id: req.params.name },
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/social/posts',
    {
      ...read,
      schema: {
        tags,
        summary: 'Campaign social posts due or published in [from, to)',
        querystring: postsQuery,
        response: { 200: z.object({ data: z.array(postItem) }), ...commonErrors },
      },
    },
    async (req) => {
      const rows = await postsBetween(
        ctx.store.db,
        workspaceOf(req),
        Date.parse(req.query.from),
        Date.parse(req.query.to),
      );
      return {
        data: rows.map((p) => ({
          id: p.id,
          campaign_id: p.campaignId,
          post_id: p.postId,
          account: p.account,
          due_at: new Date(p.dueAt).toISOString(),
          status: p.status,
          text: p.text,
          link: p.target ?? p.link,
          attempts: p.attempts,
          last_error: p.lastError,
          sent_at: p.sentAt === null ? null : new Date(p.sentAt).toISOString(),
        })),
      };
    },
  );
};

const tokenParams = z.object({ token: z.string().min(1).max(300) });

/** The public tracked link of social posts (`/t/p/:token`). */
export const socialClickRoutes: RouteModule = (app, ctx) => {
  app.get('/t/p/:token', { schema: { hide: true, params: tokenParams } }, async (req, reply) => {
    const token = verifyToken(ctx.secret, req.params.token);
    const post = token?.kind === 'post' ? await findPost(ctx.store.db, token.postId) : undefined;
    const url = post?.target;
    if (!post || post.status !== 'sent' || typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
      return reply.status(404).send(errorBody('not_found', 'this link is not valid'));
    }
    if (req.method !== 'HEAD') {
      const now = ctx.clock.now();
      // Anyone who sees the post may click: each click is its own event, credited to the campaign.
      await appendEvents(ctx.store.db, [
        {
          workspaceId: post.workspaceId,
          type: 'clicked',
          occurredAt: now,
          receivedAt: now,
          messageId: `social-click:${post.id}:${now}:${randomBytes(6).toString('hex')}`,
          properties: { url, post: post.postId, account: post.account },
          campaignId: post.campaignId,
          channel: 'social',
        },
      ]);
    }
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });
};
