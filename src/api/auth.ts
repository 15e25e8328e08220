// Bearer-key authentication for /api/v1: a key sees its own workspace only; routes declare a scope.
// A signed-in browser session (cookie + CSRF header on changes) is accepted in place of a key.
import type { FastifyRequest } from 'fastify';
import { BatonError } from '../domain/errors.js';
import type { Clock } from '../engine/clock.js';
import type { ApiKeysRepository, KeyScope } from '../store/api-keys.repository.js';
import type { UsersRepository } from '../store/users.repository.js';
import { ROLE_SCOPES, type Role } from '../domain/roles.js';
import { requirePermission } from './permissions.js';
import { authenticateSession } from './session.js';

/** What a signed-in marketer may do (the scopes every session had before roles); see ROLE_SCOPES. */
export const SESSION_SCOPES: KeyScope[] = [...ROLE_SCOPES.marketer];

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
          scopes: [...ROLE_SCOPES[s.user.role]],
          userId: s.user.id,
          role: s.user.role,
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

/**
 * A preValidation hook that refuses callers without the permission: keys need the scope (`admin` implies
 * every scope), signed-in users a role that carries it (or one of `options.roles`). See permissions.ts.
 */
export function requireScope(scope: KeyScope, options: { roles?: readonly Role[] } = {}) {
  return requirePermission(scope, options);
}
