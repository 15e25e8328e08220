// /api/v1/session: a workspace user signs in with a password (session cookie + CSRF token), checks or ends it.
import { z } from 'zod';
import { BatonError, isBatonError } from '../../domain/errors.js';
import { SESSION_TTL_MS, UsersRepository, type Session } from '../../store/users.repository.js';
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
  user: z.object({ id: z.string(), email: z.string() }),
  workspace: z.object({ id: z.string(), name: z.string() }),
  csrf_token: z.string().describe('send it back in the x-csrf-token header on every POST, PUT and DELETE'),
  expires_at: isoTime,
});

const tags = ['session'];

/** Failed sign-ins allowed per email in a window before it is refused for the rest of the window. */
export const SIGN_IN_FAILURES = { max: 10, windowMs: 15 * 60_000 };

/** Counts failed sign-ins per email (in memory: a password guesser gets 10 tries per 15 minutes). */
class FailedSignIns {
  private readonly byEmail = new Map<string, { count: number; until: number }>();

  check(email: string, now: number): void {
    const f = this.byEmail.get(email);
    if (f && f.until > now && f.count >= SIGN_IN_FAILURES.max) {
      const minutes = Math.ceil((f.until - now) / 60_000);
      throw new BatonError(
        'rate_limited',
        `too many failed sign-ins for this email: try again in ${minutes} minute${minutes > 1 ? 's' : ''}`,
      );
    }
  }

  fail(email: string, now: number): void {
    if (this.byEmail.size > 10_000) {
      for (const [k, v] of this.byEmail) if (v.until <= now) this.byEmail.delete(k);
    }
    const f = this.byEmail.get(email);
    if (!f || f.until <= now) this.byEmail.set(email, { count: 1, until: now + SIGN_IN_FAILURES.windowMs });
    else f.count += 1;
  }

  succeed(email: string): void {
    this.byEmail.delete(email);
  }
}

function toResponse(s: Session): z.infer<typeof sessionResponse> {
  return {
    user: { id: s.user.id, email: s.user.email },
    workspace: { id: s.workspaceId, name: s.workspaceName },
    csrf_token: s.csrfToken,
    expires_at: new Date(s.expiresAt).toISOString(),
  };
}

/** Public routes (they authenticate with the cookie themselves), registered outside the bearer-key scope. */
export const sessionRoutes: RouteModule = (app, ctx) => {
  const users = new UsersRepository(ctx.store);
  const failures = new FailedSignIns();

  app.post(
    '/api/v1/session',
    {
      schema: {
        tags,
        summary: 'Sign in: sets the HttpOnly session cookie (SameSite=Lax, Secure over HTTPS)',
        security: [],
        body: signInBody,
        response: { 200: sessionResponse, 401: errorResponse, 422: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      const now = ctx.clock.now();
      const email = req.body.email.trim().toLowerCase();
      failures.check(email, now);
      const s = await users.signIn(req.body, now).catch((e: unknown) => {
        if (isBatonError(e) && e.code === 'unauthorized') failures.fail(email, now);
        throw e;
      });
      failures.succeed(email);
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
