// Public tracking and unsubscribe endpoints (no API key; each carries an HMAC-signed token):
// GET /t/o/:token.gif (open pixel), GET /t/c/:token (click → 302 to the link stored on the touch, never
// one taken from the URL), GET /u/:token (unsubscribe page) and POST /u/:token (RFC 8058 one-click, and
// the page's form). A token that does not verify answers 404 and records nothing.
import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { classifyFetch } from '../../channels/email/machine-opens.js';
import { findTouch, recordTouchEvent, unsubscribeContact } from '../../channels/email/outcomes.js';
import { escapeHtml, verifyToken } from '../../content/index.js';
import { fromJson } from '../../store/json.js';
import { errorBody } from '../errors.js';
import type { RouteModule } from './index.js';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const tokenParams = z.object({ token: z.string().min(1).max(300) });
const fileParams = z.object({ file: z.string().min(1).max(300) });

function notFound(reply: FastifyReply): FastifyReply {
  return reply.status(404).send(errorBody('not_found', 'this link is not valid'));
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5"><h1 style="font-size:1.4rem">${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

export const trackingRoutes: RouteModule = (app, ctx) => {
  const secrets = [ctx.secret, ...(ctx.previousSecrets ?? [])];
  void app.register(async (plugin) => {
    const t = plugin.withTypeProvider<ZodTypeProvider>();
    // One-click unsubscribe posts `List-Unsubscribe=One-Click` as a form (urlencoded or multipart); read
    // any body as text and ignore what it says beyond an optional category.
    t.removeAllContentTypeParsers();
    t.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) =>
      done(null, body),
    );

    t.get('/t/o/:file', { schema: { hide: true, params: fileParams } }, async (req, reply) => {
      const m = /^(.+)\.gif$/.exec(req.params.file);
      const token = m ? verifyToken(secrets, m[1]!) : null;
      if (!token || token.kind !== 'open') return notFound(reply);
      const touch = await findTouch(ctx.store.db, token.touchId);
      if (!touch) return notFound(reply);
      const now = ctx.clock.now();
      const v = classifyFetch(
        req.headers['user-agent'],
        req.ip,
        touch.sentAt === null ? null : now - touch.sentAt,
      );
      // HEAD (link checkers, scanners) answers like GET but is nobody reading.
      if (req.method !== 'HEAD') {
        await recordTouchEvent(
          ctx.store.db,
          touch,
          'opened',
          v.machine ? `open:${touch.id}:machine` : `open:${touch.id}`,
          now,
          { machine: v.machine, ...(v.agent ? { agent: v.agent } : {}) },
        );
      }
      return reply
        .header('content-type', 'image/gif')
        .header('cache-control', 'no-store, no-cache, must-revalidate, private')
        .send(PIXEL);
    });

    t.get('/t/c/:token', { schema: { hide: true, params: tokenParams } }, async (req, reply) => {
      const token = verifyToken(secrets, req.params.token);
      if (!token || token.kind !== 'click') return notFound(reply);
      const touch = await findTouch(ctx.store.db, token.touchId);
      const url = touch?.email.links?.[token.index];
      if (!touch || typeof url !== 'string' || !/^https?:\/\//i.test(url)) return notFound(reply);
      const now = ctx.clock.now();
      const v = classifyFetch(
        req.headers['user-agent'],
        req.ip,
        touch.sentAt === null ? null : now - touch.sentAt,
      );
      if (req.method !== 'HEAD') {
        await recordTouchEvent(
          ctx.store.db,
          touch,
          'clicked',
          v.machine ? `click:${touch.id}:${token.index}:machine` : `click:${touch.id}:${token.index}`,
          now,
          { url, index: token.index, machine: v.machine, ...(v.agent ? { agent: v.agent } : {}) },
        );
      }
      return reply.header('cache-control', 'no-store').redirect(url, 302);
    });

    t.get('/u/:token', { schema: { hide: true, params: tokenParams } }, async (req, reply) => {
      const token = verifyToken(secrets, req.params.token);
      if (!token || token.kind !== 'unsubscribe') return notFound(reply);
      const contact = await ctx.store.db
        .selectFrom('contacts')
        .select(['email', 'subscription_status'])
        .where('id', '=', token.contactId)
        .executeTakeFirst();
      if (!contact) return notFound(reply);
      if (contact.subscription_status === 'unsubscribed') {
        return page(reply, 200, 'You are unsubscribed', '<p>You will not receive more email from us.</p>');
      }
      const touch = token.touchId ? await findTouch(ctx.store.db, token.touchId) : undefined;
      const category = touch ? await categoryOf(touch.workspaceId, touch.campaignId, touch.stepId) : null;
      const action = `${ctx.publicUrl}/u/${escapeHtml(req.params.token)}`;
      const only = category
        ? `<form method="post" action="${action}"><input type="hidden" name="category" value="${escapeHtml(category)}"><button type="submit">Only stop “${escapeHtml(category)}” emails</button></form><p></p>`
        : '';
      return page(
        reply,
        200,
        'Unsubscribe',
        `<p>Stop email to <strong>${escapeHtml(contact.email ?? 'this address')}</strong>?</p>${only}<form method="post" action="${action}"><button type="submit">Unsubscribe from all email</button></form>`,
      );
    });

    t.post('/u/:token', { schema: { hide: true, params: tokenParams } }, async (req, reply) => {
      const token = verifyToken(secrets, req.params.token);
      if (!token || token.kind !== 'unsubscribe') return notFound(reply);
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      const oneClick = form.get('List-Unsubscribe') === 'One-Click';
      const category = !oneClick ? (form.get('category') ?? undefined) : undefined;
      const contact = await ctx.store.db
        .selectFrom('contacts')
        .select('workspace_id')
        .where('id', '=', token.contactId)
        .executeTakeFirst();
      if (!contact) return notFound(reply);
      const touch = token.touchId ? ((await findTouch(ctx.store.db, token.touchId)) ?? null) : null;
      const done = await unsubscribeContact(
        ctx.store,
        contact.workspace_id,
        token.contactId,
        touch && touch.contactId === token.contactId ? touch : null,
        ctx.clock.now(),
        { method: oneClick ? 'one_click' : 'page', ...(category ? { category } : {}) },
      );
      if (!done) return notFound(reply);
      return page(
        reply,
        200,
        'You are unsubscribed',
        category
          ? `<p>You will not receive more “${escapeHtml(category)}” email from us.</p>`
          : '<p>You will not receive more email from us.</p>',
      );
    });
  });

  async function categoryOf(ws: string, campaignId: string, stepId: string): Promise<string | null> {
    const c = await ctx.store.db
      .selectFrom('campaigns')
      .select('spec')
      .where('workspace_id', '=', ws)
      .where('id', '=', campaignId)
      .executeTakeFirst();
    const spec = fromJson<{ sequence?: Array<{ id: string; category?: string }> }>(c?.spec, {});
    return spec.sequence?.find((s) => s.id === stepId)?.category ?? null;
  }
};
