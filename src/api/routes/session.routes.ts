// /api/v1/session: a workspace user signs in with a password (session cookie + CSRF token), checks or ends it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BatonError, isBatonError } from '../../domain/errors.js';
import type { FastifyReply } from 'fastify';
import { ROLES } from '../../domain/roles.js';
import { INSTANCE_AUDIT_WORKSPACE, recordAudit } from '../../store/audit.repository.js';
import {
  DEFAULT_LOCKOUT,
  SignInFailuresRepository,
  addressKey,
  emailKey,
} from '../../store/sign-in-failures.repository.js';
import {
  SESSION_TTL_MS,
  UsersRepository,
  type NewSession,
  type Session,
} from '../../store/users.repository.js';
import { authenticateSession, clearSessionCookies, sessionToken, setSessionCookies } from '../session.js';
import type { RouteModule } from './index.js';
import { errorResponse, isoTime } from './resource-schemas.js';

const signInBody = z
  .object({
    email: z.string().min(1).max(320),
    password: z.string().min(1).max(1024),
    workspace: z.string().min(1).max(200).optional().describe('needed only when the email is in several'),
  })
  .strict();

const sessionResponse = z.object({
  user: z.object({ id: z.string(), email: z.string(), role: z.enum(ROLES) }),
  workspace: z.object({ id: z.string(), name: z.string() }),
  csrf_token: z.string().describe('send it back in the x-csrf-token header on every POST, PUT and DELETE'),
  expires_at: isoTime,
});

const tags = ['session'];

/** Loopback callers (this host, a local proxy that forwards nothing) are not locked out by address. */
const isLoopback = (ip: string): boolean =>
  ip === '::1' || ip.startsWith('127.') || ip === '::ffff:127.0.0.1';

function refuse(reply: FastifyReply, until: number, now: number, what: string): never {
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  const minutes = Math.ceil(seconds / 60);
  reply.header('retry-after', String(seconds));
  throw new BatonError(
    'rate_limited',
    `too many failed sign-ins for ${what}: try again in ${minutes} minute${minutes > 1 ? 's' : ''}`,
    { retry_after_seconds: seconds },
  );
}
function toResponse(s: Session): z.infer<typeof sessionResponse> {
  return {
    user: { id: s.user.id, email: s.user.email, role: s.user.role },
    workspace: { id: s.workspaceId, name: s.workspaceName },
    csrf_token: s.csrfToken,
    expires_at: new Date(s.expiresAt).toISOString(),
  };
}

/** Public routes (they authenticate with the cookie themselves), registered outside the bearer-key scope. */
export const sessionRoutes: RouteModule = (app, ctx) => {
  const users = new UsersRepository(ctx.store);
  const failures = new SignInFailuresRepository(ctx.store);
  const policy = DEFAULT_LOCKOUT;

  /**
   * Counts the failure against the email and the address, and audits it in each workspace of the email
   * (an email no user has: see `unknownEmailEntry`). The caller's answer is the same either way.
   */
  async function failedSignIn(
    body: { email: string; workspace?: string },
    ip: string,
    keys: string[],
    now: number,
  ): Promise<void> {
    const lockedUntil: (number | null)[] = [];
    for (const key of keys) {
      const max = key.startsWith('email:') ? policy.perEmail : policy.perAddress;
      lockedUntil.push(await failures.fail(key, max, policy, now));
    }
    const known = await users.byEmail(body.email, body.workspace);
    const entries = known.map((u) => ({ workspaceId: u.workspaceId, target: { type: 'user', id: u.id } }));
    if (known.length === 0) entries.push(await unknownEmailEntry(body));
    for (const { workspaceId, target } of entries) {
      const entry = { workspaceId, at: now, actor: { type: 'anonymous' as const, id: null }, target, ip };
      await recordAudit(ctx.store, { ...entry, action: 'user.sign_in_failed' });
      if (lockedUntil[0]) {
        await recordAudit(ctx.store, {
          ...entry,
          action: 'user.locked',
          details: { until: new Date(lockedUntil[0]).toISOString() },
        });
      }
    }
  }

  /**
   * Where a failed sign-in of an email no user has is recorded: the workspace the request names when it
   * exists, else the installation's trail. The target is a SHA-256 of the lower-cased email, not the
   * email: what people type there is sometimes a password, and no user holds this address anyway.
   */
  async function unknownEmailEntry(body: { email: string; workspace?: string }) {
    const named = body.workspace
      ? await ctx.store.db
          .selectFrom('workspaces')
          .select('id')
          .where('name', '=', body.workspace)
          .executeTakeFirst()
      : undefined;
    const digest = createHash('sha256').update(body.email.trim().toLowerCase()).digest('hex');
    return {
      workspaceId: named?.id ?? INSTANCE_AUDIT_WORKSPACE,
      target: { type: 'unknown_email', id: `sha256:${digest}` },
    };
  }

  app.post(
    '/api/v1/session',
    {
      schema: {
        tags,
        summary: 'Sign in: sets the HttpOnly session cookie (SameSite=Lax, Secure over HTTPS)',
        security: [],
        body: signInBody,
        description:
          'After 5 failed sign-ins for an email (or 20 from one address) within 15 minutes, sign-in is refused ' +
          'for 15 minutes with 429 `rate_limited` and a Retry-After header.',
        response: { 200: sessionResponse, 401: errorResponse, 422: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      const now = ctx.clock.now();
      const email = req.body.email.trim().toLowerCase();
      const keys = [emailKey(email), ...(isLoopback(req.ip) ? [] : [addressKey(req.ip)])];
      const locked = await failures.lockedUntil(keys, now);
      if (locked !== null) refuse(reply, locked, now, 'this email or address');
      let s: NewSession;
      try {
        s = await users.signIn(req.body, now);
      } catch (e) {
        if (isBatonError(e) && e.code === 'unauthorized') await failedSignIn(req.body, req.ip, keys, now);
        throw e;
      }
      await failures.clear(emailKey(email));
      await recordAudit(ctx.store, {
        workspaceId: s.workspaceId,
        at: now,
        actor: { type: 'user', id: s.user.id, role: s.user.role },
        action: 'user.sign_in',
        target: { type: 'user', id: s.user.id },
        ip: req.ip,
      });
      setSessionCookies(req, reply, { token: s.token, csrfToken: s.csrfToken, maxAgeMs: SESSION_TTL_MS });
      return toResponse(s);
    },
  );

  app.get(
    '/api/v1/session',
    {
      schema: {
        tags,
        summary: 'The signed-in user and workspace (401 when not signed in)',
        security: [],
        response: { 200: sessionResponse, 401: errorResponse },
      },
    },
    async (req) => {
      const s = await authenticateSession(req, users, ctx.clock.now());
      if (!s) throw new BatonError('unauthorized', 'not signed in');
      return toResponse(s);
    },
  );

  app.delete(
    '/api/v1/session',
    {
      schema: {
        tags,
        summary: 'Sign out (needs the x-csrf-token header)',
        security: [],
        response: { 204: z.null(), 401: errorResponse, 403: errorResponse },
      },
    },
    async (req, reply) => {
      const s = await authenticateSession(req, users, ctx.clock.now());
      if (!s) throw new BatonError('unauthorized', 'not signed in');
      await users.signOut(sessionToken(req)!);
      clearSessionCookies(req, reply);
      return reply.status(204).send(null);
    },
  );
};
