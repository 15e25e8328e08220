// Workspace roles of web users and the key scopes each one carries; no I/O.
import { z } from 'zod';

/** What an API key may do; `admin` implies every other scope. */
export const SCOPES = ['read', 'write', 'launch', 'ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * A user's role: `admin` (everything, including users, keys and the audit trail), `marketer` (plans and
 * launches campaigns), `sales_rep` (works their own tasks and the contacts of the accounts they own),
 * `analyst` (reads results, changes nothing).
 */
export const ROLES = ['admin', 'marketer', 'sales_rep', 'analyst'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** The scopes a signed-in user of each role carries (what a key of the same reach would hold). */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: ['read', 'write', 'launch', 'admin'],
  marketer: ['read', 'write', 'launch'],
  sales_rep: ['read'],
  analyst: ['read'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
