// Account-level goal conversions: a deal event (pipeline created, revenue won) counts for a campaign when
// its account is one the campaign targets — a contact of that account is enrolled. The treated arm needs a
// sent campaign touch on any contact of the account inside the lookback; an account whose enrolled
// contacts are all held out counts for the holdout. One conversion per campaign and deal event.
import type { Kysely } from 'kysely';
import type { CampaignSpec } from '../domain/campaign.js';
import { appendEvents } from '../store/events.repository.js';
import { newId } from '../store/ids.js';
import { dealAccount, dealAmount } from '../store/journey/pipeline.js';
import type { Database } from '../store/schema.js';

const DAY = 86_400_000;

export interface AccountGoalCampaign {
  id: string;
  spec: CampaignSpec;
  launchedAt: number;
  endedAt: number | null;
}

export interface DealEventRow {
  id: string;
  workspace_id: string;
  type: string;
  contact_id: string | null;
  account_id: string | null;
  occurred_at: number;
}

/** Records the deal as the campaign's conversion when it qualifies; returns 1 when a row was written. */
export async function recordAccountConversion(
  db: Kysely<Database>,
  c: AccountGoalCampaign,
  e: DealEventRow,
  props: Record<string, unknown>,
  now: number,
  conversionMessageId: string,
): Promise<number> {
  const goal = c.spec.goal!;
  const ws = e.workspace_id;
  const occurredAt = Number(e.occurred_at);
  const lookback = goal.lookback_days * DAY;
  if (occurredAt < c.launchedAt) return 0;
  if (c.endedAt !== null && occurredAt > c.endedAt + lookback) return 0;
  let accountId = dealAccount(e.account_id, props);
  if (!accountId && e.contact_id) {
    const contact = await db
      .selectFrom('contacts')
      .select('account_id')
      .where('workspace_id', '=', ws)
      .where('id', '=', e.contact_id)
      .executeTakeFirst();
    accountId = contact?.account_id ?? null;
  }
  if (!accountId) return 0;
  const enrollments = await db
    .selectFrom('enrollments')
    .select(['id', 'arm', 'contact_id', 'account_id'])
    .where('workspace_id', '=', ws)
    .where('campaign_id', '=', c.id)
    .where('account_id', '=', accountId)
    .where('enrolled_at', '<=', occurredAt)
    .execute();
  if (enrollments.length === 0) return 0;
  const treated = enrollments.filter((x) => x.arm !== 'holdout');
  let touch:
    | { id: string; step_id: string; variant_id: string | null; channel: string; enrollment_id: string }
    | undefined;
  if (treated.length > 0) {
    touch = await db
      .selectFrom('touches')
      .select(['id', 'step_id', 'variant_id', 'channel', 'enrollment_id'])
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', c.id)
      .where(
        'enrollment_id',
        'in',
        treated.map((x) => x.id),
      )
      .where('status', '=', 'sent')
      .where('sent_at', '<=', occurredAt)
      .where('sent_at', '>=', occurredAt - lookback)
      .orderBy('sent_at', 'desc')
      .executeTakeFirst();
    if (!touch) return 0;
  }
  const enrollment = touch ? treated.find((x) => x.id === touch.enrollment_id)! : enrollments[0]!;
  const value =
    goal.value_property !== undefined
      ? dealAmount({ amount: props[goal.value_property] })
      : dealAmount(props);
  const r = await db
    .insertInto('conversions')
    .values({
      id: newId('cnv', now),
      workspace_id: ws,
      campaign_id: c.id,
      contact_id: enrollment.contact_id,
      enrollment_id: enrollment.id,
      arm: enrollment.arm,
      event_id: e.id,
      value,
      occurred_at: occurredAt,
      touch_id: touch?.id ?? null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'campaign_id', 'event_id']).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return 0;
  await appendEvents(db, [
    {
      workspaceId: ws,
      type: 'converted',
      occurredAt,
      receivedAt: now,
      messageId: conversionMessageId,
      contactId: enrollment.contact_id,
      accountId,
      properties: { goal_event: e.type, event_id: e.id, value, arm: enrollment.arm, account_id: accountId },
      campaignId: c.id,
      touchId: touch?.id ?? null,
      stepId: touch?.step_id ?? null,
      variantId: touch?.variant_id ?? null,
      channel: touch?.channel ?? null,
    },
  ]);
  return 1;
}
