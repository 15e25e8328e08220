// /api/v1/session: a workspace user signs in with a password (session cookie + CSRF token), checks or ends it.
import { z } from 'zod';
import { BatonError } from '../../domain/errors.js';
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

  app.post(
    '/api/v1/session',
    {
      schema: {
        tags,
        summary: 'Sign in: sets the HttpOnly session cookie (SameSite=Lax, Secure over HTTPS)',
        security: [],
        body: signInBody,
        response: { 200: sessionResponse, 401: errorResponse, 422: errorResponse },
      },
    },
    async (req, reply) => {
      const s = await users.signIn(req.body, ctx.clock.now());
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
