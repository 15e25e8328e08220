// What the engine does when a campaign's lifecycle moves: enroll the audience at launch (inside the launch
// transaction, so a failed enrollment rolls the launch back), release held touches on resume, and close
// every open enrollment and pending touch when the campaign ends.
import { sql } from 'kysely';
import { workspaceSettings } from '../domain/workspace-settings.js';
import type { Campaign } from '../store/campaigns.repository.js';
import type { LaunchHooks, TickHooks } from '../store/campaigns/lifecycle.js';
import { resolveAudience, type ReachChannel } from '../store/audience.js';
import { specReachChannel } from '../store/campaigns/reach-channel.js';
import type { Store } from '../store/db.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { AWAITING_WINNER } from './auto-winner.js';
import { buildRuntime } from './campaign-runtime.js';
import { enrollContacts, type EnrollContact, type EnrollResult } from './enroller.js';

/**
 * The channel whose reachability filters the audience (`specReachChannel`: email if any step emails, else
 * SMS if any step texts, else none). Launch, dynamic enrollment, forecast and lint all use that one rule, so
 * a forecast counts and a lint describes exactly the people a launch would enroll.
 */
export function reachChannel(c: Campaign): ReachChannel {
  return specReachChannel(c.spec);
}

export async function enrollAudience(tx: Store, c: Campaign, now: number): Promise<EnrollResult> {
  const ws = await new WorkspacesRepository(tx).get(c.workspaceId);
  const rt = buildRuntime(c.workspaceId, c.spec, c.revision, workspaceSettings(ws?.settings ?? {}));
  const { contactIds } = await resolveAudience(tx, c.workspaceId, c.spec.audience ?? {}, {
    now,
    channel: reachChannel(c),
  });
  const contacts: EnrollContact[] = [];
  for (let i = 0; i < contactIds.length; i += 500) {
    const rows = await tx.db
      .selectFrom('contacts')
      .select(['id', 'account_id', 'time_zone'])
      .where('workspace_id', '=', c.workspaceId)
      .where('id', 'in', contactIds.slice(i, i + 500))
      .execute();
    contacts.push(...rows);
  }
  return enrollContacts(tx, rt, contacts, now);
}

/**
 * Held touches of a resumed campaign go back to the queue, due now at the earliest. Touches awaiting an
 * auto-winner decision stay held: the decision releases them (`auto-winner.ts`).
 */
export async function releaseHeldTouches(
  store: Store,
  workspaceId: string,
  campaignId: string,
  now: number,
): Promise<number> {
  const r = await store.db
    .updateTable('touches')
    .set({
      status: 'planned',
      reason: null,
      due_at: sql<number>`case when due_at < ${now} then ${now} else due_at end`,
    })
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'held')
    .where((eb) => eb.or([eb('reason', 'is', null), eb('reason', '!=', AWAITING_WINNER)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function closeCampaign(tx: Store, c: Campaign, now: number): Promise<void> {
  await tx.db
    .updateTable('touches')
    .set({ status: 'cancelled', reason: 'campaign_ended', lease_until: null })
    .where('workspace_id', '=', c.workspaceId)
    .where('campaign_id', '=', c.id)
    .where('status', 'in', ['planned', 'held'])
    .execute();
  await tx.db
    .updateTable('enrollments')
    .set({ state: 'completed', exit_reason: 'campaign_ended', exited_at: now })
    .where('workspace_id', '=', c.workspaceId)
    .where('campaign_id', '=', c.id)
    .where('state', '=', 'active')
    .execute();
}

export const engineLaunchHooks: LaunchHooks = {
  onLaunched: async (tx, c, now) => {
    await enrollAudience(tx, c, now);
  },
};

export const engineTickHooks: TickHooks = {
  onCompleted: closeCampaign,
};
