// What the journey views need: workspace flows in a range (transitions, time in stage, conversion),
// aggregated in SQL so the API process holds one row per stage and transition whatever the history's size;
// one campaign's enrolled-vs-holdout moves (its contacts' history, through src/measure/journey-flows.ts);
// and one account's timeline of touches, stage changes and deals.
import { sql } from 'kysely';
import { BatonError } from '../../domain/errors.js';
import { parseDate } from '../../domain/segment.js';
import {
  campaignFlows,
  sortTransitions,
  type ArmMember,
  type CampaignFlows,
  type Flows,
  type StageChange,
  type StageConversion,
  type StageTime,
  type Transition,
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
  subjects: readonly string[],
): Promise<StageChange[]> {
  const load = async (ids: readonly string[]): Promise<StageChange[]> => {
    const rows = await store.db
      .selectFrom('journey_stage_changes')
      .select(['subject_id', 'from_stage', 'to_stage', 'changed_at'])
      .where('workspace_id', '=', workspaceId)
      .where('subject_kind', '=', kind)
      .where('changed_at', '<', to)
      .where('subject_id', 'in', ids)
      .execute();
    return rows.map((r) => ({
      subjectId: r.subject_id,
      from: r.from_stage,
      to: r.to_stage,
      at: Number(r.changed_at),
    }));
  };
  const out: StageChange[] = [];
  for (let i = 0; i < subjects.length; i += CHUNK) out.push(...(await load(subjects.slice(i, i + CHUNK))));
  return out;
}

interface StayRow {
  k: 'time' | 'current' | 'conv';
  stage: string;
  a: number | string;
  b: number | string | null;
  c: number | string | null;
}

/**
 * Flows of one workspace's contacts or accounts in [from, to), in the database: the definition of
 * src/measure/journey-flows.ts (`journeyFlows`) as two statements. Every change before `to` counts
 * toward stays (a stay ends at the subject's next change, `lead()` over its history) and stages
 * reached; only changes inside the range count as transitions.
 */
export async function aggregateFlows(
  store: Store,
  workspaceId: string,
  subject: 'contact' | 'account',
  stages: readonly string[],
  from: number,
  to: number,
): Promise<Flows> {
  const transitions = await store.db
    .selectFrom('journey_stage_changes')
    .select(['from_stage', 'to_stage', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('workspace_id', '=', workspaceId)
    .where('subject_kind', '=', subject)
    .where('changed_at', '>=', from)
    .where('changed_at', '<', to)
    .groupBy(['from_stage', 'to_stage'])
    .execute();
  const idx = sql`(case h0.to_stage ${sql.join(
    stages.map((s, i) => sql`when ${s} then ${sql.lit(i)}`),
    sql` `,
  )} else -1 end)`;
  // One pass over the history before `to`: each change with the instant its stay ended (null: current).
  const rows = await sql<StayRow>`
    with h as (
      select h0.subject_id, h0.to_stage, h0.changed_at, ${idx} as idx,
        lead(h0.changed_at) over (partition by h0.subject_id order by h0.changed_at, h0.id) as left_at,
        max(${idx}) over (partition by h0.subject_id) as top
      from journey_stage_changes h0
      where h0.workspace_id = ${workspaceId} and h0.subject_kind = ${subject} and h0.changed_at < ${to}
    ),
    stays as (
      select h.to_stage as stage, h.left_at - h.changed_at as d from h
      where h.left_at is not null and h.left_at >= ${from}
    ),
    ranked as (
      select stage, d, row_number() over (partition by stage order by d) as rn,
        count(*) over (partition by stage) as n
      from stays
    ),
    entered as (
      select distinct subject_id, idx, to_stage, top from h
      where idx >= 0 and (left_at is null or left_at >= ${from})
    )
    select 'time' as k, stage, count(*) as a, avg(d) as b,
      avg(case when rn = (n + 1) / 2 or rn = (n + 2) / 2 then d end) as c
    from ranked group by stage
    union all
    select 'current' as k, to_stage as stage, count(*) as a, null as b, null as c
    from h where left_at is null group by to_stage
    union all
    select 'conv' as k, e.to_stage as stage, count(*) as a,
      sum(case when e.top > e.idx then 1 else 0 end) as b, null as c
    from entered e group by e.to_stage`.execute(store.db);

  const of = (k: StayRow['k'], stage: string) => rows.rows.find((r) => r.k === k && r.stage === stage);
  const days = (v: number | string | null | undefined): number | null =>
    v === null || v === undefined ? null : Number(v) / DAY;
  const timeInStage: StageTime[] = stages.map((s) => {
    const t = of('time', s);
    return {
      stage: s,
      completed: Number(t?.a ?? 0),
      medianDays: days(t?.c),
      meanDays: days(t?.b),
      current: Number(of('current', s)?.a ?? 0),
    };
  });
  const conversion: StageConversion[] = [];
  for (let i = 0; i + 1 < stages.length; i++) {
    const c = of('conv', stages[i]!);
    const entered = Number(c?.a ?? 0);
    const reached = Number(c?.b ?? 0);
    conversion.push({
      from: stages[i]!,
      to: stages[i + 1]!,
      entered,
      reached,
      rate: entered > 0 ? reached / entered : null,
    });
  }
  return {
    transitions: sortTransitions(
      stages,
      transitions.map((t): Transition => ({ from: t.from_stage, to: t.to_stage, count: Number(t.n) })),
    ),
    timeInStage,
    conversion,
  };
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
  const flows = await aggregateFlows(store, workspaceId, subject, stages, from, to);
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
