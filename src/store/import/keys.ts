// Keys of an import resolved in memory: the workspace's stored keys are loaded once and every accepted row
// claims its own, so a key used twice in a file is reported with the line that had it first.
import type { RowIssue } from './columns.js';
import type { Session } from './import-session.js';

/** A stored row the file may update; `line` is set once a row of the file has claimed it. */
export interface Existing {
  id: string;
  /** email (contacts) or domain (accounts) */
  key: string | null;
  externalId: string | null;
  accountId: string | null;
  line: number;
}

/** Key → the line of this file that holds it, or the stored row that has it. */
export type KeyMap = Map<string, number | Existing>;

/** The stored rows of the workspace by key (email or domain) and by external id. */
export async function loadKeys(
  session: Session,
  table: 'contacts' | 'accounts',
): Promise<{ byKey: KeyMap; byExternal: KeyMap }> {
  const byKey: KeyMap = new Map();
  const byExternal: KeyMap = new Map();
  const query =
    table === 'contacts'
      ? 'SELECT id, email, external_id, account_id FROM contacts WHERE workspace_id = $ws'
      : 'SELECT id, domain, external_id, NULL AS account_id FROM accounts WHERE workspace_id = $ws';
  for (const [id, key, externalId, accountId] of await session.select(query)) {
    const e: Existing = {
      id: String(id),
      key: (key as string | null) ?? null,
      externalId: (externalId as string | null) ?? null,
      accountId: (accountId as string | null) ?? null,
      line: 0,
    };
    if (e.key !== null) byKey.set(e.key, e);
    if (e.externalId !== null) byExternal.set(e.externalId, e);
  }
  return { byKey, byExternal };
}

/**
 * The stored row a candidate updates (undefined: a new row), or false when the row is rejected: a key
 * already used by an earlier line, or keys that name two different stored rows. External id wins over
 * email/domain, as in the repositories' upsert.
 */
export function resolve(
  line: number,
  key: string | null,
  externalId: string | null,
  byKey: KeyMap,
  byExternal: KeyMap,
  names: KeyNames,
  issues: RowIssue[],
): Existing | undefined | false {
  const { key: keyName, keyColumn, externalColumn, noun } = names;
  const ext = externalId === null ? undefined : byExternal.get(externalId);
  const k = key === null ? undefined : byKey.get(key);
  if (typeof ext === 'number') {
    issues.push({
      line,
      column: externalColumn,
      reason: `duplicate: external_id ${JSON.stringify(externalId)} is already on line ${ext}`,
    });
    return false;
  }
  if (typeof k === 'number') {
    issues.push({
      line,
      column: keyColumn,
      reason: `duplicate: ${keyName} ${JSON.stringify(key)} is already on line ${k}`,
    });
    return false;
  }
  if (ext && k && ext !== k) {
    issues.push({
      line,
      column: keyColumn,
      reason: `${keyName} ${JSON.stringify(key)} belongs to another ${noun} than external_id ${JSON.stringify(externalId)}`,
    });
    return false;
  }
  const target = ext ?? k;
  if (!target) return undefined;
  if (target.line > 0) {
    issues.push({
      line,
      column: ext ? externalColumn : keyColumn,
      reason: `duplicate: line ${target.line} already updates the same ${noun}`,
    });
    return false;
  }
  if (!ext && externalId !== null && target.externalId !== null && target.externalId !== externalId) {
    issues.push({
      line,
      column: externalColumn,
      reason: `the ${noun} with ${keyName} ${JSON.stringify(key)} has external_id ${JSON.stringify(target.externalId)}`,
    });
    return false;
  }
  return target;
}

export interface KeyNames {
  key: 'email' | 'domain';
  keyColumn: string;
  externalColumn: string;
  noun: 'contact' | 'account';
}

/** Marks the keys of an accepted row as taken by its line. */
export function claim(
  line: number,
  key: string | null,
  externalId: string | null,
  target: Existing | undefined,
  byKey: KeyMap,
  byExternal: KeyMap,
): void {
  if (target) target.line = line;
  if (key !== null) byKey.set(key, line);
  if (externalId !== null) byExternal.set(externalId, line);
}
