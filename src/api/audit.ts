// Audit entries from HTTP requests: the actor (signed-in user with role, or API key) and client address.
import type { FastifyRequest } from 'fastify';
import { recordAudit, type AuditActor, type AuditEntry } from '../store/audit.repository.js';
import type { Store } from '../store/db.js';

export function auditActor(req: FastifyRequest): AuditActor {
  const auth = req.auth;
  if (!auth) return { type: 'anonymous', id: null };
  if (auth.userId) return { type: 'user', id: auth.userId, role: auth.role ?? null };
  return { type: 'key', id: auth.keyId };
}

/** The principal who acted, for "not the requester" checks: a user id or a key id. */
export function principalOf(req: FastifyRequest): string {
  return req.auth?.userId ?? req.auth?.keyId ?? 'anonymous';
}

/** Records an entry for the request's workspace and actor (pass a transaction's store to join it). */
export async function auditRequest(
  store: Store,
  req: FastifyRequest,
  entry: Pick<AuditEntry, 'action' | 'target' | 'details'> & { at: number },
): Promise<void> {
  if (!req.auth) return;
  await recordAudit(store, {
    workspaceId: req.auth.workspaceId,
    actor: auditActor(req),
    ip: req.ip,
    ...entry,
  });
}
