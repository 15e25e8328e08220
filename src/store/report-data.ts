// Loads what one campaign's report needs in a few set-based queries (both dialects), and builds the report.
import { campaignWindow, type CampaignSpec } from '../domain/campaign.js';
import { BatonError } from '../domain/errors.js';
import type { FunnelEvent, FunnelTouch } from '../measure/funnel.js';
import {
  buildReport,
  goalSeries,
  type CampaignReport,
  type GoalEvent,
  type ReportConversion,
  type ReportInput,
} from '../measure/report.js';
import { listAutoWinnerDecisions } from './auto-winner.repository.js';
import { CampaignsRepository, type Campaign } from './campaigns.repository.js';
import { campaignSpend } from './spend.repository.js';
import type { Store } from './db.js';
import { fromJson } from './json.js';
import { ReviewsRepository } from './reviews.repository.js';

/** Touch events the funnel counts (customer events come through the goal query). */
const FUNNEL_EVENT_TYPES = [
  'delivered',
  'opened',
  'clicked',
  'replied',
  'bounced',
  'unsubscribed',
  'complained',
];

/** The conversion value of a goal event: the goal's value property, else `revenue`, else `value`; 0 otherwise. */
export function goalEventValue(
  goal: NonNullable<CampaignSpec['goal']>,
  props: Record<string, unknown>,
): number {
  const raw = goal.value_property !== undefined ? props[goal.value_property] : (props.revenue ?? props.value);
  const n = typeof raw === 'string' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
}

function matchesFilter(filter: Record<string, unknown> | undefined, props: Record<string, unknown>): boolean {
  return !filter || Object.entries(filter).every(([k, v]) => props[k] === v);
}

async function loadConversions(
  store: Store,
  workspaceId: string,
  campaignId: string,
): Promise<ReportConversion[]> {
  const rows = await store.db
    .selectFrom('conversions')
    .select(['contact_id', 'arm', 'occurred_at', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .execute();
  return rows.map((r) => ({
    contactId: r.contact_id,
    arm: r.arm,
    occurredAt: Number(r.occurred_at),
    value: Number(r.value),
  }));
}

/** Everything `buildReport` takes, for one campaign at `now`. */
export async function loadReportInput(
  store: Store,
  workspaceId: string,
  campaignId: string,
  now: number,
): Promise<ReportInput> {
  const campaigns = new CampaignsRepository(store);
  const campaign = await campaigns.get(workspaceId, campaignId);
  if (!campaign) throw BatonError.notFound('campaign', campaignId);
  const goal = campaign.frozenPlan?.goal ?? campaign.spec.goal;

  const enrollments = await store.db
    .selectFrom('enrollments')
    .select(['contact_id', 'account_id', 'arm', 'enrolled_at'])
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .execute();
  // No event the report counts comes before the campaign's first enrollment (funnel events follow touches;
  // goal events count from each contact's enrollment), so both event reads start there: on PostgreSQL that
  // bound prunes the months before the campaign from the partitioned `events` table.
  const since = enrollments.reduce((min, e) => Math.min(min, Number(e.enrolled_at)), Infinity);
  const eventsSince = Number.isFinite(since) ? since : now;
  const [touches, events, conversions, goalRows, review] = await Promise.all([
    store.db
      .selectFrom('touches')
      .select(['id', 'contact_id', 'step_id', 'channel', 'variant_id', 'status', 'sent_at'])
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', campaignId)
      .execute(),
    store.db
      .selectFrom('events')
      .select([
        'type',
        'contact_id',
        'touch_id',
        'step_id',
        'channel',
        'variant_id',
        'occurred_at',
        'properties',
      ])
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', campaignId)
      .where('type', 'in', FUNNEL_EVENT_TYPES)
      .where('occurred_at', '>=', eventsSince)
      .execute(),
    loadConversions(store, workspaceId, campaignId),
    // Goal events of the enrolled contacts, both arms (the holdout comparison; enrollment times are checked in
    // buildReport). An IN over the campaign's contacts, not a join on enrolled_at: SQLite would range-scan the
    // goal events after each enrollment time, once per enrollment.
    goal
      ? store.db
          .selectFrom('events')
          .select(['id', 'contact_id', 'occurred_at', 'properties'])
          .where('workspace_id', '=', workspaceId)
          .where('type', '=', goal.event)
          .where('occurred_at', '>=', eventsSince)
          .where('contact_id', 'in', (eb) =>
            eb
              .selectFrom('enrollments')
              .select('contact_id')
              .where('workspace_id', '=', workspaceId)
              .where('campaign_id', '=', campaignId),
          )
          .execute()
      : Promise.resolve([]),
    new ReviewsRepository(store).get(workspaceId, campaignId),
  ]);

  const goalEvents: GoalEvent[] = [];
  if (goal) {
    const seen = new Set<string>();
    for (const r of goalRows) {
      if (seen.has(r.id) || r.contact_id === null) continue;
      seen.add(r.id);
      const props = fromJson<Record<string, unknown>>(r.properties, {});
      if (!matchesFilter(goal.filter, props)) continue;
      goalEvents.push({
        contactId: r.contact_id,
        occurredAt: Number(r.occurred_at),
        value: goalEventValue(goal, props),
      });
    }
  }

  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      kind: campaign.kind,
      status: campaign.status,
      spec: campaign.spec,
      frozenPlan: campaign.frozenPlan,
      frozenHash: campaign.frozenHash,
      launchedAt: campaign.launchedAt,
      endedAt: campaign.endedAt,
    },
    enrollments: enrollments.map((e) => ({
      contactId: e.contact_id,
      accountId: e.account_id,
      arm: e.arm,
      enrolledAt: Number(e.enrolled_at),
    })),
    touches: touches.map((t): FunnelTouch => ({
      id: t.id,
      contactId: t.contact_id,
      stepId: t.step_id,
      channel: t.channel,
      variantId: t.variant_id,
      status: t.status,
      sentAt: t.sent_at === null ? null : Number(t.sent_at),
    })),
    events: events.map((e): FunnelEvent => ({
      type: e.type,
      contactId: e.contact_id,
      touchId: e.touch_id,
      stepId: e.step_id,
      channel: e.channel,
      variantId: e.variant_id,
      occurredAt: Number(e.occurred_at),
      machine: fromJson<Record<string, unknown>>(e.properties, {}).machine === true,
    })),
    conversions,
    goalEvents,
    reference: await loadReference(store, workspaceId, campaign),
    spend: await campaignSpend(store.db, workspaceId, campaignId),
    review: review
      ? { learnings: review.learnings, author: review.author, updatedAt: review.updatedAt }
      : null,
    autoWinners: await listAutoWinnerDecisions(store.db, workspaceId, campaignId),
    now,
  };
}

/** The plan's reference campaign: its goal series over its own window (null when it cannot shape pacing). */
async function loadReference(
  store: Store,
  workspaceId: string,
  campaign: Campaign,
): Promise<ReportInput['reference']> {
  const refId = (campaign.frozenPlan?.measurement ?? campaign.spec.measurement)?.reference_campaign;
  if (!refId || refId === campaign.id) return null;
  const ref = await new CampaignsRepository(store).get(workspaceId, refId);
  const refGoal = ref?.frozenPlan?.goal ?? ref?.spec.goal;
  const w = ref && campaignWindow(ref.spec);
  if (!ref || !refGoal || !w || w.end === null) return null;
  const series = goalSeries(refGoal.metric, await loadConversions(store, workspaceId, ref.id));
  return { id: ref.id, series, windowStart: w.start, windowEnd: w.end };
}

/** One call for the report of one campaign at `now` (the CLI, the API and the demo use it). */
export async function buildCampaignReport(
  store: Store,
  workspaceId: string,
  campaignId: string,
  now: number,
): Promise<CampaignReport> {
  return buildReport(await loadReportInput(store, workspaceId, campaignId, now));
}
