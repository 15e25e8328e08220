// Audit entries for changes made from the command line: the actor is the operator's OS account.
import { userInfo } from 'node:os';
import type { AuditActor } from '../store/audit.repository.js';

export function cliActor(): AuditActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): the operator stays unnamed
  }
  return { type: 'system', id: `cli:${name}` };
}
