// Bearer-key authentication for /api/v1: a key sees its own workspace only; routes declare a scope.
// A signed-in browser session (cookie + CSRF header on changes) is accepted in place of a key.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BatonError } from '../domain/errors.js';
import type { Clock } from '../engine/clock.js';
import type { ApiKeysRepository, KeyScope } from '../store/api-keys.repository.js';
import type { UsersRepository } from '../store/users.repository.js';
import type { Role } from '../domain/roles.js';
import { authenticateSession } from './session.js';

/** What a signed-in workspace user may do: everything but key administration. */
export const SESSION_SCOPES: KeyScope[] = ['read', 'write', 'launch'];

export type { Role } from '../domain/roles.js';

export interface AuthContext {
  workspaceId: string;
  keyId: string;
  scopes: KeyScope[];
  /** Set when a browser session, not a key, authenticated the request (`keyId` is then the user id). */
  userId?: string;
  /** The signed-in user's role (sessions only; keys carry scopes and no role). */
  role?: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

export function bearerAuth(keys: ApiKeysRepository, sessions?: { users: UsersRepository; clock: Clock }) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match && !header && sessions) {
      const s = await authenticateSession(req, sessions.users, sessions.clock.now());
      if (s) {
        req.auth = {
          workspaceId: s.workspaceId,
          keyId: s.user.id,
          scopes: SESSION_SCOPES,
          userId: s.user.id,
        };
        return;
      }
    }
    if (!match) throw new BatonError('unauthorized', 'send an API key as `Authorization: Bearer <key>`');
    const record = await keys.verify(match[1]!, 'api');
    if (!record) throw new BatonError('unauthorized', 'the API key is not valid or has been revoked');
    req.auth = { workspaceId: record.workspaceId, keyId: record.id, scopes: record.scopes };
  };
}

/** The authenticated workspace of a request; throws when the route was not behind bearerAuth. */
export function workspaceOf(req: FastifyRequest): string {
  if (!req.auth) throw new BatonError('unauthorized', 'this route needs an API key');
  return req.auth.workspaceId;
}

/** A preHandler that refuses keys without the scope (`admin` implies every scope). */
export function requireScope(scope: KeyScope) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const scopes = req.auth?.scopes ?? [];
    if (!scopes.includes(scope) && !scopes.includes('admin')) {
      throw new BatonError('forbidden', `this API key lacks the \`${scope}\` scope`);
    }
  };
}
