// SMS provider callbacks (Twilio-compatible, no API key: each request carries X-Twilio-Signature, checked
// against the auth token and the URL the provider called). POST /sms/inbound/:workspaceId takes replies
// (STOP and the other opt-out keywords opt the number out, START or UNSTOP opts it back in, anything else —
// YES too — is a reply);
// POST /sms/status/:touchId records delivery. A request whose signature does not verify changes nothing.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { applyInboundSms, applySmsStatus } from '../../channels/sms/outcomes.js';
import { formParams, verifyTwilioSignature } from '../../channels/sms/twilio-signature.js';
import type { AppContext } from '../context.js';
import { errorBody } from '../errors.js';
import type { RouteModule } from './index.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

function one(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** The form parameters when the signature verifies, else a 403 already sent. */
function verified(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Record<string, string | string[]> | null {
  const token = ctx.sms?.authToken;
  if (!token) {
    void reply.status(404).send(errorBody('not_found', 'SMS is not configured on this Baton'));
    return null;
  }
  const params = formParams(typeof req.body === 'string' ? req.body : '');
  const header = req.headers['x-twilio-signature'];
  const signature = Array.isArray(header) ? header[0] : header;
  if (!verifyTwilioSignature(token, signature, `${ctx.publicUrl}${req.url}`, params)) {
    void reply.status(403).send(errorBody('forbidden', 'the X-Twilio-Signature header does not verify'));
    return null;
  }
  return params;
}

export const smsRoutes: RouteModule = (app, ctx) => {
  void app.register(async (plugin) => {
    const t = plugin.withTypeProvider<ZodTypeProvider>();
    t.removeAllContentTypeParsers();
    t.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, body),
    );

    t.post(
      '/sms/inbound/:workspaceId',
      { schema: { hide: true, params: z.object({ workspaceId: z.string().min(1).max(100) }) } },
      async (req, reply) => {
        const params = verified(ctx, req, reply);
        if (!params) return reply;
        await applyInboundSms(
          ctx.store,
          req.params.workspaceId,
          {
            messageSid: one(params.MessageSid) || one(params.SmsSid),
            from: one(params.From),
            to: one(params.To),
            body: one(params.Body),
          },
          ctx.clock.now(),
        );
        // The provider answers the keywords itself (Twilio Advanced Opt-Out): Baton replies with nothing.
        return reply.header('content-type', 'text/xml; charset=utf-8').send(EMPTY_TWIML);
      },
    );

    t.post(
      '/sms/status/:touchId',
      { schema: { hide: true, params: z.object({ touchId: z.string().min(1).max(100) }) } },
      async (req, reply) => {
        const params = verified(ctx, req, reply);
        if (!params) return reply;
        const found = await applySmsStatus(
          ctx.store,
          req.params.touchId,
          {
            messageSid: one(params.MessageSid) || one(params.SmsSid),
            status: one(params.MessageStatus) || one(params.SmsStatus),
            errorCode: one(params.ErrorCode) || null,
          },
          ctx.clock.now(),
        );
        if (!found) return reply.status(404).send(errorBody('not_found', 'no SMS touch has this message'));
        return reply.status(204).send();
      },
    );
  });
};
