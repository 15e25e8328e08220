// Ending enrollments: an exit (reply, conversion, unsubscribe, bounce, custom event) stops the enrollment
// and cancels its pending touches in one statement pair, so nothing more goes out for it.
import type { Kysely } from 'kysely';
import { removeEnrollmentsFromAudiences } from '../store/ads-audiences.repository.js';
import type { Database } from '../store/schema.js';

const PENDING = ['planned', 'held'];

export async function exitEnrollments(
  db: Kysely<Database>,
  workspaceId: string,
  enrollmentIds: readonly string[],
  reason: string,
  now: number,
): Promise<number> {
  if (enrollmentIds.length === 0) return 0;
  let exited = 0;
  for (let i = 0; i < enrollmentIds.length; i += 500) {
    const ids = enrollmentIds.slice(i, i + 500);
    const r = await db
      .updateTable('enrollments')
      .set({ state: 'exited', exit_reason: reason, exited_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', ids)
      .where('state', '=', 'active')
      .executeTakeFirst();
    exited += Number(r.numUpdatedRows);
    await db
      .updateTable('touches')
      .set({ status: 'cancelled', reason: `exited:${reason}`, lease_until: null })
      .where('workspace_id', '=', workspaceId)
      .where('enrollment_id', 'in', ids)
      .where('status', 'in', PENDING)
      .execute();
    await removeEnrollmentsFromAudiences(db, workspaceId, ids, reason, now);
  }
  return exited;
}

/** Active enrollments of a contact, optionally in one campaign. */
export async function activeEnrollmentsOf(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
  campaignId?: string,
): Promise<Array<{ id: string; campaign_id: string; account_id: string | null }>> {
  let q = db
    .selectFrom('enrollments')
    .select(['id', 'campaign_id', 'account_id'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('state', '=', 'active');
  if (campaignId) q = q.where('campaign_id', '=', campaignId);
  return q.execute();
}

/** Active enrollments of every contact of an account in one campaign (exit_scope: account). */
export async function activeEnrollmentsOfAccount(
  db: Kysely<Database>,
  workspaceId: string,
  campaignId: string,
  accountId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('enrollments')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .where('account_id', '=', accountId)
    .where('state', '=', 'active')
    .execute();
  return rows.map((r) => r.id);
}
