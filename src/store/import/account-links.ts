// How an import links contacts to accounts, by the repositories' rules: an account named by id, domain or
// external id must exist; otherwise the email's domain decides; an accounts import adopts unlinked contacts.
import { sql } from 'kysely';
import { emailDomain } from '../../domain/contact.js';
import type { RowIssue } from './columns.js';
import type { ContactCandidate } from './contact-rows.js';
import type { Session } from './import-session.js';
import type { Existing } from './keys.js';

export interface AccountKeys {
  ids: Set<string>;
  byDomain: Map<string, string>;
  byExternal: Map<string, string>;
}

export async function loadAccountKeys(session: Session): Promise<AccountKeys> {
  const keys: AccountKeys = { ids: new Set(), byDomain: new Map(), byExternal: new Map() };
  for (const [id, domain, externalId] of await session.select(
    'SELECT id, domain, external_id FROM accounts WHERE workspace_id = $ws',
  )) {
    keys.ids.add(String(id));
    if (domain) keys.byDomain.set(String(domain), String(id));
    if (externalId) keys.byExternal.set(String(externalId), String(id));
  }
  return keys;
}

/**
 * The account_id to write (null: keep / none), or false when the row names an account that does not
 * exist. As in the repository: an explicit account must exist; otherwise a new contact, or a stored one
 * without an account whose email changes, links to the account whose domain is its email's domain.
 */
export function linkAccount(
  c: ContactCandidate,
  target: Existing | undefined,
  accounts: AccountKeys,
  line: number,
  columnOf: (f: 'account_id' | 'account_domain' | 'account_external_id') => string,
  issues: RowIssue[],
): string | null | false {
  if (c.account) {
    const { by, value } = c.account;
    const id =
      by === 'id'
        ? accounts.ids.has(value)
          ? value
          : undefined
        : (by === 'domain' ? accounts.byDomain : accounts.byExternal).get(value);
    if (id === undefined) {
      issues.push({
        line,
        column: columnOf(`account_${by}`),
        reason: `no account with ${by === 'id' ? 'id' : by} ${JSON.stringify(value)} in this workspace`,
      });
      return false;
    }
    return id;
  }
  if (c.email === null || accounts.byDomain.size === 0) return null;
  if (target && (target.accountId !== null || target.key === c.email)) return null;
  return accounts.byDomain.get(emailDomain(c.email)) ?? null;
}

/** After an accounts import: unlinked contacts whose email domain is an imported account's domain. */
export async function adoptContacts(
  session: Session,
  options: { workspaceId: string; now: number },
): Promise<number> {
  const domainOf =
    session.dialect === 'sqlite'
      ? sql`substr(c.email, instr(c.email, '@') + 1)`
      : sql`split_part(c.email, '@', 2)`;
  const r = await sql`UPDATE contacts AS c SET account_id = a.id, updated_at = ${options.now}
    FROM accounts AS a
    WHERE c.workspace_id = ${options.workspaceId} AND a.workspace_id = ${options.workspaceId}
      AND c.account_id IS NULL AND c.email IS NOT NULL AND a.updated_at = ${options.now}
      AND a.domain = ${domainOf}`.execute(session.db);
  return Number(r.numAffectedRows ?? 0);
}
