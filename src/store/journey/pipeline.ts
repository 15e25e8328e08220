// Pipeline: deal events (`Opportunity Created`, `Deal Won`, with an amount and an account) are account-level
// conversions. A deal is credited across the sent touches on every contact of its account inside the
// journey's deal lookback, with the W-shaped milestones found from the account's events and stage history.
import { sql } from 'kysely';
import { BatonError } from '../../domain/errors.js';
import {
  DEAL_WON,
  OPPORTUNITY_CREATED,
  stageIndex,
  type JourneyMap,
  type MilestoneRef,
} from '../../domain/journey.js';
import { creditDeal, type DealCredit, type DealMilestones } from '../../measure/attribution/deal-credit.js';
import type { Store } from '../db.js';
import { fromJson } from '../json.js';

const DAY = 86_400_000;
export const DEAL_EVENTS = [OPPORTUNITY_CREATED, DEAL_WON] as const;

export interface Deal {
  eventId: string;
  type: string;
  accountId: string;
  contactId: string | null;
  /** The deal's own id from the CRM (`deal_id` / `opportunity_id`), when the event carries one. */
  dealId: string | null;
  amount: number;
  occurredAt: number;
}

/** The amount of a deal event: `amount`, else `value`, else `revenue`; 0 when none is a number. */
export function dealAmount(props: Record<string, unknown>): number {
  const raw = props.amount ?? props.value ?? props.revenue;
  const n = typeof raw === 'string' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/**
 * The deal's account: the event's (set at ingestion from the contact), else `properties.account_id`; the
 * caller falls back to the contact's current account.
 */
export function dealAccount(eventAccount: string | null, props: Record<string, unknown>): string | null {
  if (eventAccount) return eventAccount;
  return typeof props.account_id === 'string' && props.account_id !== '' ? props.account_id : null;
}

function dealIdOf(props: Record<string, unknown>): string | null {
  const raw = props.deal_id ?? props.opportunity_id;
  return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : null;
}

export async function loadDeal(store: Store, workspaceId: string, eventId: string): Promise<Deal> {
  const e = await store.db
    .selectFrom('events')
    .select(['id', 'type', 'account_id', 'contact_id', 'properties', 'occurred_at'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!e) throw BatonError.notFound('deal event', eventId);
  if (!(DEAL_EVENTS as readonly string[]).includes(e.type))
    throw BatonError.invalid([
      { path: 'id', message: `event ${eventId} is a ${e.type}, not a deal (${DEAL_EVENTS.join(' or ')})` },
    ]);
  const props = fromJson<Record<string, unknown>>(e.properties, {});
  let accountId = dealAccount(e.account_id, props);
  if (!accountId && e.contact_id) {
    const c = await store.db
      .selectFrom('contacts')
      .select('account_id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', e.contact_id)
      .executeTakeFirst();
    accountId = c?.account_id ?? null;
  }
  if (!accountId)
    throw BatonError.invalid([
      { path: 'id', message: `deal event ${eventId} names no account (its contact has none, no account_id)` },
    ]);
  return {
    eventId: e.id,
    type: e.type,
    accountId,
    contactId: e.contact_id,
    dealId: dealIdOf(props),
    amount: dealAmount(props),
    occurredAt: Number(e.occurred_at),
  };
}

/** Events of the account: stamped with it, or done by one of its contacts. */
const ofAccount = (workspaceId: string, accountId: string) =>
  sql<boolean>`(e.account_id = ${accountId} or e.contact_id in (select c.id from contacts c where c.workspace_id = ${workspaceId} and c.account_id = ${accountId}))`;

/**
 * When a milestone happened for the account, at or before `until`: the first `event` (lead creation) or
 * the last one (opportunity creation: the opportunity this deal came from, matched by deal id when both
 * carry one), or the first time one of its contacts reached `stage` or beyond.
 */
async function milestoneAt(
  store: Store,
  workspaceId: string,
  map: JourneyMap,
  ref: MilestoneRef,
  deal: Deal,
  which: 'first' | 'last',
): Promise<number | null> {
  if ('stage' in ref) {
    const from = stageIndex(map, ref.stage);
    const later = map.stages.slice(from).map((s) => s.id);
    const row = await store.db
      .selectFrom('journey_stage_changes as h')
      .innerJoin('contacts as c', (j) =>
        j.onRef('c.id', '=', 'h.subject_id').onRef('c.workspace_id', '=', 'h.workspace_id'),
      )
      .select((eb) => eb.fn.min('h.changed_at').as('at'))
      .where('h.workspace_id', '=', workspaceId)
      .where('h.subject_kind', '=', 'contact')
      .where('c.account_id', '=', deal.accountId)
      .where('h.to_stage', 'in', later)
      .where('h.changed_at', '<=', deal.occurredAt)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }
  const rows = await sql<{ occurred_at: number; properties: unknown }>`
    select e.occurred_at, e.properties from events e
    where e.workspace_id = ${workspaceId} and e.type = ${ref.event} and e.occurred_at <= ${deal.occurredAt}
      and ${ofAccount(workspaceId, deal.accountId)}
    order by e.occurred_at ${which === 'first' ? sql`asc` : sql`desc`}
    limit 50`.execute(store.db);
  if (rows.rows.length === 0) return null;
  if (which === 'last' && deal.dealId !== null) {
    const same = rows.rows.find((r) => dealIdOf(fromJson(r.properties, {})) === deal.dealId);
    if (same) return Number(same.occurred_at);
  }
  return Number(rows.rows[0]!.occurred_at);
}

export interface DealAttribution {
  deal: Deal;
  window: { from: number; to: number };
  milestones: DealMilestones;
  credit: DealCredit;
}

/** Credits one deal across the sent touches on every contact of its account in the lookback window. */
export async function attributeDeal(
  store: Store,
  workspaceId: string,
  eventId: string,
  map: JourneyMap,
): Promise<DealAttribution> {
  const deal = await loadDeal(store, workspaceId, eventId);
  const from = deal.occurredAt - map.deal_lookback_days * DAY;
  const touches = await store.db
    .selectFrom('touches as t')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 't.contact_id').onRef('c.workspace_id', '=', 't.workspace_id'),
    )
    .select(['t.id', 't.sent_at', 't.contact_id', 't.campaign_id', 't.channel', 't.step_id'])
    .where('t.workspace_id', '=', workspaceId)
    .where('c.account_id', '=', deal.accountId)
    .where('t.status', '=', 'sent')
    .where('t.sent_at', '>=', from)
    .where('t.sent_at', '<=', deal.occurredAt)
    .execute();
  const milestones: DealMilestones = {
    leadAt: await milestoneAt(store, workspaceId, map, map.milestones.lead_creation, deal, 'first'),
    opportunityAt:
      deal.type === OPPORTUNITY_CREATED &&
      'event' in map.milestones.opportunity_creation &&
      map.milestones.opportunity_creation.event === OPPORTUNITY_CREATED
        ? deal.occurredAt
        : await milestoneAt(store, workspaceId, map, map.milestones.opportunity_creation, deal, 'last'),
  };
  const credit = creditDeal(
    touches.map((t) => ({
      id: t.id,
      at: Number(t.sent_at),
      contactId: t.contact_id,
      campaignId: t.campaign_id,
      channel: t.channel,
      stepId: t.step_id,
    })),
    milestones,
    map.w_shares,
    deal.amount,
  );
  return { deal, window: { from, to: deal.occurredAt }, milestones, credit };
}

/** The account's deal events in `[from, to)`, oldest first. */
export async function accountDeals(
  store: Store,
  workspaceId: string,
  accountId: string,
  from: number,
  to: number,
): Promise<Deal[]> {
  const rows = await sql<{
    id: string;
    type: string;
    contact_id: string | null;
    properties: unknown;
    occurred_at: number;
  }>`select e.id, e.type, e.contact_id, e.properties, e.occurred_at from events e
    where e.workspace_id = ${workspaceId} and e.type in (${sql.join(DEAL_EVENTS.map((t) => sql.val(t)))})
      and e.occurred_at >= ${from} and e.occurred_at < ${to} and ${ofAccount(workspaceId, accountId)}
    order by e.occurred_at, e.seq`.execute(store.db);
  return rows.rows.map((r) => {
    const props = fromJson<Record<string, unknown>>(r.properties, {});
    return {
      eventId: r.id,
      type: r.type,
      accountId,
      contactId: r.contact_id,
      dealId: dealIdOf(props),
      amount: dealAmount(props),
      occurredAt: Number(r.occurred_at),
    };
  });
}
