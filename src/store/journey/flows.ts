// Loads what the journey views need and hands it to the pure functions of src/measure/journey-flows.ts:
// workspace flows in a range, one campaign's enrolled-vs-holdout moves, and one account's timeline of
// touches, stage changes and deals.
import { BatonError } from '../../domain/errors.js';
import { parseDate } from '../../domain/segment.js';
import {
  campaignFlows,
  journeyFlows,
  type ArmMember,
  type CampaignFlows,
  type Flows,
  type StageChange,
} from '../../measure/journey-flows.js';
import type { Store } from '../db.js';
import { accountDeals } from './pipeline.js';
import { getJourney } from './journey-map.repository.js';

const DAY = 86_400_000;
const CHUNK = 500;

export interface RangeQuery {
  from?: string;
  to?: string;
}

/** `from`/`to` as dates (a date-only `to` includes that day) or ISO date-times; default the last 90 days. */
export function parseRange(q: RangeQuery, now: number): { from: number; to: number } {
  const at = (v: string | undefined, field: 'from' | 'to'): number | undefined => {
    if (v === undefined || v === '') return undefined;
    const d = parseDate(v);
    if (!d)
      throw BatonError.invalid([
        {
          path: field,
          message: 'is not a date such as 2027-01-31 or a UTC time such as 2027-01-31T09:00:00Z',
        },
      ]);
    return field === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? d.ms + DAY : d.ms;
  };
  const to = at(q.to, 'to') ?? now;
  const from = at(q.from, 'from') ?? to - 90 * DAY;
  if (from >= to) throw BatonError.invalid([{ path: 'to', message: 'must be after from' }]);
  if (to - from > 731 * DAY)
    throw BatonError.invalid([{ path: 'to', message: 'a range spans at most two years' }]);
  return { from, to };
}

async function changesOf(
  store: Store,
  workspaceId: string,
  kind: 'contact' | 'account',
  to: number,
  subjects?: readonly string[],
): Promise<StageChange[]> {
  const load = async (ids?: readonly string[]): Promise<StageChange[]> => {
    let q = store.db
      .selectFrom('journey_stage_changes')
      .select(['subject_id', 'from_stage', 'to_stage', 'changed_at'])
      .where('workspace_id', '=', workspaceId)
      .where('subject_kind', '=', kind)
      .where('changed_at', '<', to);
    if (ids) q = q.where('subject_id', 'in', ids);
    const rows = await q.execute();
    return rows.map((r) => ({
      subjectId: r.subject_id,
      from: r.from_stage,
      to: r.to_stage,
      at: Number(r.changed_at),
    }));
  };
  if (!subjects) return load();
  const out: StageChange[] = [];
  for (let i = 0; i < subjects.length; i += CHUNK) out.push(...(await load(subjects.slice(i, i + CHUNK))));
  return out;
}

export interface JourneyFlowsView {
  from: number;
  to: number;
  subject: 'contact' | 'account';
  stages: Array<{ id: string; name: string }>;
  flows: Flows;
  campaign: (CampaignFlows & { id: string }) | null;
}

export async function loadJourneyFlows(
  store: Store,
  workspaceId: string,
  query: RangeQuery & { campaign?: string; subject?: 'contact' | 'account' },
  now: number,
): Promise<JourneyFlowsView> {
  const { from, to } = parseRange(query, now);
  const { journey } = await getJourney(store, workspaceId);
  const stages = journey.map.stages.map((s) => s.id);
  const subject = query.subject ?? 'contact';
  const flows = journeyFlows({ stages, changes: await changesOf(store, workspaceId, subject, to), from, to });
  let campaign: JourneyFlowsView['campaign'] = null;
  if (query.campaign) {
    const exists = await store.db
      .selectFrom('campaigns')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', query.campaign)
      .executeTakeFirst();
    if (!exists) throw BatonError.notFound('campaign', query.campaign);
    const rows = await store.db
      .selectFrom('enrollments')
      .select(['contact_id', 'arm', 'enrolled_at'])
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', query.campaign)
      .where('enrolled_at', '<', to)
      .execute();
    const members: ArmMember[] = rows.map((r) => ({
      contactId: r.contact_id,
      arm: r.arm === 'holdout' ? 'holdout' : 'treatment',
      enrolledAt: Number(r.enrolled_at),
    }));
    const ids = [...new Set(members.map((m) => m.contactId))];
    const changes = await changesOf(store, workspaceId, 'contact', to, ids);
    campaign = { id: query.campaign, ...campaignFlows(stages, members, changes, to) };
  }
  return {
    from,
    to,
    subject,
    stages: journey.map.stages.map((s) => ({ id: s.id, name: s.name })),
    flows,
    campaign,
  };
}

export type TimelineItem =
  | {
      kind: 'touch';
      at: number;
      contactId: string;
      campaignId: string;
      stepId: string;
      channel: string;
      id: string;
    }
  | {
      kind: 'stage';
      at: number;
      subject: 'contact' | 'account';
      subjectId: string;
      from: string | null;
      to: string;
      cause: string;
      eventId: string | null;
      eventType: string | null;
    }
  | {
      kind: 'deal';
      at: number;
      eventId: string;
      type: string;
      amount: number;
      dealId: string | null;
      contactId: string | null;
    };

/** One account's journey: touches on its contacts, its and its contacts' stage changes, and its deals. */
export async function accountTimeline(
  store: Store,
  workspaceId: string,
  accountId: string,
  query: RangeQuery,
  now: number,
): Promise<{ accountId: string; stage: string | null; from: number; to: number; items: TimelineItem[] }> {
  const { from, to } = parseRange(query, now);
  const account = await store.db
    .selectFrom('accounts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw BatonError.notFound('account', accountId);
  const contacts = (
    await store.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('account_id', '=', accountId)
      .execute()
  ).map((c) => c.id);
  const items: TimelineItem[] = [];
  for (let i = 0; i < contacts.length; i += CHUNK) {
    const ids = contacts.slice(i, i + CHUNK);
    const touches = await store.db
      .selectFrom('touches')
      .select(['id', 'contact_id', 'campaign_id', 'step_id', 'channel', 'sent_at'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', ids)
      .where('status', '=', 'sent')
      .where('sent_at', '>=', from)
      .where('sent_at', '<', to)
      .execute();
    for (const t of touches)
      items.push({
        kind: 'touch',
        at: Number(t.sent_at),
        contactId: t.contact_id,
        campaignId: t.campaign_id,
        stepId: t.step_id,
        channel: t.channel,
        id: t.id,
      });
  }
  const changes = await store.db
    .selectFrom('journey_stage_changes')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('subject_id', 'in', [accountId, ...contacts])
    .where('changed_at', '>=', from)
    .where('changed_at', '<', to)
    .execute();
  for (const c of changes)
    items.push({
      kind: 'stage',
      at: Number(c.changed_at),
      subject: c.subject_kind === 'account' ? 'account' : 'contact',
      subjectId: c.subject_id,
      from: c.from_stage,
      to: c.to_stage,
      cause: c.cause,
      eventId: c.event_id,
      eventType: c.event_type,
    });
  for (const d of await accountDeals(store, workspaceId, accountId, from, to))
    items.push({
      kind: 'deal',
      at: d.occurredAt,
      eventId: d.eventId,
      type: d.type,
      amount: d.amount,
      dealId: d.dealId,
      contactId: d.contactId,
    });
  items.sort((a, b) => a.at - b.at);
  const stage = await store.db
    .selectFrom('journey_stages')
    .select('stage')
    .where('workspace_id', '=', workspaceId)
    .where('subject_kind', '=', 'account')
    .where('subject_id', '=', accountId)
    .executeTakeFirst();
  return { accountId, stage: stage?.stage ?? null, from, to, items };
}
