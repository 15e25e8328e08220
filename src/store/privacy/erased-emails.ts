// Erased people stay erased: the email of an erased contact is kept only as a SHA-256 on the suppression
// list (kind `erased`), so an import, an API upsert or an identify call carrying it is refused instead of
// quietly recreating the person. Not keyed by BATON_SECRET, so a secret rotation never forgets an erasure.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { BatonError } from '../../domain/errors.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const ERASED_KIND = 'erased';
export const ERASED_REASON = 'erasure';
export const ERASED_MESSAGE =
  'belongs to a person whose data was erased at their request; Baton will not store it again';

/** `erased:<hex SHA-256 of the workspace id and the trimmed, lower-cased address>`. */
export function erasedEmailKey(workspaceId: string, email: string): string {
  const hex = createHash('sha256')
    .update(`baton-erased:${workspaceId}:${email.trim().toLowerCase()}`)
    .digest('hex');
  return `${ERASED_KIND}:${hex}`;
}

export async function isErasedEmail(db: Db, workspaceId: string, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('value', '=', erasedEmailKey(workspaceId, email))
    .executeTakeFirst();
  return row !== undefined;
}

/** Every erased key of a workspace (imports check each row against it in memory). */
export async function erasedEmailKeys(db: Db, workspaceId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('suppressions')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', ERASED_KIND)
    .execute();
  return new Set(rows.map((r) => r.value));
}

/** A `conflict` naming the email field, for writes that would bring an erased person back. */
export async function refuseErasedEmail(
  db: Db,
  workspaceId: string,
  email: string | null | undefined,
): Promise<void> {
  if (!email || !(await isErasedEmail(db, workspaceId, email))) return;
  throw new BatonError('conflict', `email ${JSON.stringify(email)} ${ERASED_MESSAGE}`, {
    field: 'email',
    reason: 'erased',
  });
}
