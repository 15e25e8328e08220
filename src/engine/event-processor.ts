// The event processor: reads events after its cursor (by seq) and turns them into goal conversions and
// enrollment exits. Every effect is idempotent (a conversion is unique per campaign and event; exiting an
// exited enrollment changes nothing), so events may be read twice: after a crash between the effects and
// the cursor update, by two workers at once, and on PostgreSQL on purpose (see SEQ_OVERLAP).
import type { Kysely } from 'kysely';
import { ACCOUNT_GOAL_METRICS, type CampaignSpec } from '../domain/campaign.js';
import type { Store } from '../store/db.js';
import { appendEvents } from '../store/events.repository.js';
import { BATON_EVENT_TYPES } from '../store/ingest.js';
import { newId } from '../store/ids.js';
import { fromJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { recordAccountConversion } from './account-conversions.js';
import { activeEnrollmentsOfAccount, exitEnrollments } from './exits.js';
import { advanceJourneys } from './journey-pass.js';

const CURSOR = 'event-processor';
const DAY = 86_400_000;
const BATCH = 2000;
/** At most this many events per call, so one tick of the worker stays short. */
const MAX_PER_CALL = 50_000;
/**
 * PostgreSQL hands out seq values when rows are inserted, not when they commit, so a row with a smaller
 * seq can become visible after a larger one was processed. Each pass re-reads this many seqs behind the
 * cursor to pick such rows up; the effects are idempotent, so re-reading costs time, not correctness.
 */
const SEQ_OVERLAP = 1000;
/** Campaigns that ended longer ago than their lookback (or this, without a goal) take no more events. */
const ENDED_GRACE_MS = 30 * DAY;
const CONVERSION_PREFIX = 'conversion:';

const EVERY_CAMPAIGN_EXITS = new Set(['unsubscribed', 'complained', 'bounced']);

export interface ProcessCounts {
  events: number;
  conversions: number;
  exited: number;
}

interface ActiveCampaign {
  id: string;
  spec: CampaignSpec;
  launchedAt: number;
  endedAt: number | null;
  exitOn: Set<string>;
  customExits: Set<string>;
}

interface EventRow {
  seq: number;
  id: string;
  workspace_id: string;
  type: string;
  message_id: string | null;
  contact_id: string | null;
  account_id: string | null;
  occurred_at: number;
  properties: unknown;
  campaign_id: string | null;
  touch_id: string | null;
  channel: string | null;
}

/** Processes the events written since the last call; `now` stamps the exits and conversions. */
export async function processEvents(store: Store, now: number): Promise<ProcessCounts> {
  const counts: ProcessCounts = { events: 0, conversions: 0, exited: 0 };
  const db = store.db;
  const campaigns = new Map<string, ActiveCampaign[]>();
  while (counts.events < MAX_PER_CALL) {
    const cursor = await readCursor(db);
    const from = store.dialect === 'postgres' ? Math.max(0, cursor - SEQ_OVERLAP) : cursor;
    const rows = (await db
      .selectFrom('events')
      .select([
        'seq',
        'id',
        'workspace_id',
        'type',
        'message_id',
        'contact_id',
        'account_id',
        'occurred_at',
        'properties',
        'campaign_id',
        'touch_id',
        'channel',
      ])
      .where('seq', '>', from)
      .orderBy('seq')
      .limit(BATCH)
      .execute()) as EventRow[];
    const fresh = rows.filter((r) => Number(r.seq) > cursor);
    for (const e of rows) {
      // An event with only an account (a deal imported from the CRM) can still be an account-level goal.
      if (!e.contact_id && !e.account_id) continue;
      let list = campaigns.get(e.workspace_id);
      if (!list) {
        list = await activeCampaigns(db, e.workspace_id, now);
        campaigns.set(e.workspace_id, list);
      }
      if (list.length === 0) continue;
      const r = await applyEvent(db, list, e, now);
      counts.conversions += r.conversions;
      counts.exited += r.exited;
    }
    counts.events += fresh.length;
    const last = rows[rows.length - 1];
    if (!last || fresh.length === 0) break;
    await writeCursor(db, Number(last.seq), now);
    if (rows.length < BATCH) break;
  }
  // Buyer-journey stages follow the same events (and attribute changes), on a cursor of their own.
  await advanceJourneys(store, now);
  return counts;
}

async function readCursor(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('event_cursors')
    .select('seq')
    .where('name', '=', CURSOR)
    .executeTakeFirst();
  return row ? Number(row.seq) : 0;
}

async function writeCursor(db: Kysely<Database>, to: number, now: number): Promise<void> {
  // Only forward: another worker may have moved it further meanwhile.
  await db
    .insertInto('event_cursors')
    .values({ name: CURSOR, seq: to, updated_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ seq: to, updated_at: now }).where('event_cursors.seq', '<', to),
    )
    .execute();
}

/** Campaigns that can still take events: running or paused, or ended within their goal's lookback. */
async function activeCampaigns(
  db: Kysely<Database>,
  workspaceId: string,
  now: number,
): Promise<ActiveCampaign[]> {
  const rows = await db
    .selectFrom('campaigns')
    .select(['id', 'spec', 'launched_at', 'ended_at', 'status'])
    .where('workspace_id', '=', workspaceId)
    .where('status', 'in', ['running', 'paused', 'completed', 'reviewed', 'scheduled'])
    .execute();
  const out: ActiveCampaign[] = [];
  for (const r of rows) {
    if (r.launched_at === null) continue;
    const spec = fromJson<CampaignSpec>(r.spec, {} as CampaignSpec);
    const endedAt = r.ended_at === null ? null : Number(r.ended_at);
    const grace = spec.goal ? spec.goal.lookback_days * DAY : ENDED_GRACE_MS;
    if (endedAt !== null && endedAt + grace < now) continue;
    const exitOn = new Set<string>();
    const customExits = new Set<string>();
    for (const x of spec.exit_on ?? []) {
      if (typeof x === 'string') exitOn.add(x);
      else customExits.add(x.event);
    }
    out.push({ id: r.id, spec, launchedAt: Number(r.launched_at), endedAt, exitOn, customExits });
  }
  return out;
}

/**
 * Whether a touch-type event (bounced, unsubscribed, replied, converted, …) is Baton's own: every one Baton
 * records names the channel, the touch or the campaign it is about. The tracking API never sets those, so
 * an event stored there under such a name (before ingestion refused them) ends nothing.
 */
function recordedByBaton(e: EventRow): boolean {
  return e.channel !== null || e.touch_id !== null || e.campaign_id !== null;
}

function matchesFilter(filter: Record<string, unknown> | undefined, props: Record<string, unknown>): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => props[k] === v);
}

/** The conversion value: the goal's value property, else `revenue`, else `value`; 0 when none is a number. */
export function conversionValue(
  goal: NonNullable<CampaignSpec['goal']>,
  props: Record<string, unknown>,
): number {
  const raw = goal.value_property !== undefined ? props[goal.value_property] : (props.revenue ?? props.value);
  const n = typeof raw === 'string' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

async function applyEvent(
  db: Kysely<Database>,
  campaigns: ActiveCampaign[],
  e: EventRow,
  now: number,
): Promise<{ conversions: number; exited: number }> {
  const ws = e.workspace_id;
  const type = e.type;
  const occurredAt = Number(e.occurred_at);
  let conversions = 0;
  let exited = 0;

  // Which campaigns does this event concern at all? Most customer events concern none: no query then.
  const allGoalHits = e.message_id?.startsWith(CONVERSION_PREFIX)
    ? []
    : campaigns.filter((c) => c.spec.goal?.event === type);
  // Pipeline goals count deals per account (src/engine/account-conversions.ts).
  const accountHits = allGoalHits.filter((c) => ACCOUNT_GOAL_METRICS.has(c.spec.goal!.metric));
  if (accountHits.length > 0) {
    const props = fromJson<Record<string, unknown>>(e.properties, {});
    for (const c of accountHits) {
      if (!matchesFilter(c.spec.goal!.filter, props)) continue;
      conversions += await recordAccountConversion(
        db,
        c,
        e,
        props,
        now,
        `${CONVERSION_PREFIX}${c.id}:${e.id}`,
      );
    }
  }
  if (!e.contact_id) return { conversions, exited };
  const contactId = e.contact_id;
  const goalHits = allGoalHits.filter((c) => !ACCOUNT_GOAL_METRICS.has(c.spec.goal!.metric));
  const exits = !BATON_EVENT_TYPES.has(type) || recordedByBaton(e);
  const everyCampaign = exits && EVERY_CAMPAIGN_EXITS.has(type);
  const exitHits = !exits
    ? []
    : campaigns.filter(
        (c) =>
          ((type === 'replied' || type === 'converted') &&
            c.exitOn.has(type) &&
            (!e.campaign_id || e.campaign_id === c.id)) ||
          (type === 'meeting_booked' && c.exitOn.has('meeting_booked')) ||
          c.customExits.has(type),
      );
  if (goalHits.length === 0 && exitHits.length === 0 && !everyCampaign) return { conversions, exited };
  const props = fromJson<Record<string, unknown>>(e.properties, {});

  if (everyCampaign) {
    const soft = type === 'bounced' && (props.bounce === 'soft' || props.type === 'soft');
    // A category opt-out ends only the campaign it came from; a global one ends them all.
    const scoped = type === 'unsubscribed' && typeof props.category === 'string' && e.campaign_id;
    if (!soft) {
      let q = db
        .selectFrom('enrollments')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .where('state', '=', 'active')
        .where('enrolled_at', '<=', occurredAt);
      if (scoped) q = q.where('campaign_id', '=', e.campaign_id!);
      const ids = (await q.execute()).map((r) => r.id);
      exited += await exitEnrollments(db, ws, ids, type, now);
    }
  }

  for (const c of exitHits) {
    const reason = c.customExits.has(type) ? `event:${type}` : type;
    exited += await exitInCampaign(db, ws, c, contactId, reason, occurredAt, now);
  }

  for (const c of goalHits) {
    const goal = c.spec.goal!;
    if (!matchesFilter(goal.filter, props)) continue;
    const lookback = goal.lookback_days * DAY;
    if (occurredAt < c.launchedAt) continue;
    if (c.endedAt !== null && occurredAt > c.endedAt + lookback) continue;
    const enrollment = await db
      .selectFrom('enrollments')
      .select(['id', 'arm', 'enrolled_at', 'account_id'])
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', c.id)
      .where('contact_id', '=', contactId)
      .where('enrolled_at', '<=', occurredAt)
      .orderBy('enrolled_at', 'desc')
      .executeTakeFirst();
    if (!enrollment) continue;
    let touch: { id: string; step_id: string; variant_id: string | null; channel: string } | undefined;
    if (enrollment.arm !== 'holdout') {
      // The last touch of this campaign before the conversion, inside the lookback window.
      touch = await db
        .selectFrom('touches')
        .select(['id', 'step_id', 'variant_id', 'channel'])
        .where('workspace_id', '=', ws)
        .where('campaign_id', '=', c.id)
        .where('contact_id', '=', contactId)
        .where('status', '=', 'sent')
        .where('sent_at', '<=', occurredAt)
        .where('sent_at', '>=', occurredAt - lookback)
        .orderBy('sent_at', 'desc')
        .executeTakeFirst();
      if (!touch) continue;
    }
    const count = goal.count ?? (goal.metric === 'unique_converters' ? 'first' : 'every');
    if (count === 'first') {
      const earlier = await db
        .selectFrom('conversions')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('campaign_id', '=', c.id)
        .where('contact_id', '=', contactId)
        .where('event_id', '<>', e.id)
        .executeTakeFirst();
      if (earlier) continue;
    }
    const r = await db
      .insertInto('conversions')
      .values({
        id: newId('cnv', now),
        workspace_id: ws,
        campaign_id: c.id,
        contact_id: contactId,
        enrollment_id: enrollment.id,
        arm: enrollment.arm,
        event_id: e.id,
        value: conversionValue(goal, props),
        occurred_at: occurredAt,
        touch_id: touch?.id ?? null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'campaign_id', 'event_id']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) continue;
    conversions++;
    // A `converted` touch event, so step conditions, experiments and timelines see the conversion.
    await appendEvents(db, [
      {
        workspaceId: ws,
        type: 'converted',
        occurredAt,
        receivedAt: now,
        messageId: `${CONVERSION_PREFIX}${c.id}:${e.id}`,
        contactId,
        accountId: enrollment.account_id,
        properties: {
          goal_event: type,
          event_id: e.id,
          value: conversionValue(goal, props),
          arm: enrollment.arm,
        },
        campaignId: c.id,
        touchId: touch?.id ?? null,
        stepId: touch?.step_id ?? null,
        variantId: touch?.variant_id ?? null,
        channel: touch?.channel ?? null,
      },
    ]);
    if (c.exitOn.has('converted'))
      exited += await exitInCampaign(db, ws, c, contactId, 'converted', occurredAt, now);
  }
  return { conversions, exited };
}

/**
 * Ends the contact's enrollment in one campaign, and its colleagues' too under `exit_scope: account`. Like a
 * conversion, an exit event counts only for enrollments made at or before it happened: a late SDK flush or
 * an /v1/import backfill of something that happened before the person enrolled ends nothing.
 */
async function exitInCampaign(
  db: Kysely<Database>,
  ws: string,
  c: ActiveCampaign,
  contactId: string,
  reason: string,
  occurredAt: number,
  now: number,
): Promise<number> {
  const mine = await db
    .selectFrom('enrollments')
    .select(['id', 'account_id'])
    .where('workspace_id', '=', ws)
    .where('campaign_id', '=', c.id)
    .where('contact_id', '=', contactId)
    .where('state', '=', 'active')
    .where('enrolled_at', '<=', occurredAt)
    .execute();
  const ids = mine.map((m) => m.id);
  if (c.spec.exit_scope === 'account') {
    let accountId = mine.find((m) => m.account_id)?.account_id ?? null;
    if (!accountId) {
      const contact = await db
        .selectFrom('contacts')
        .select('account_id')
        .where('workspace_id', '=', ws)
        .where('id', '=', contactId)
        .executeTakeFirst();
      accountId = contact?.account_id ?? null;
    }
    const colleagues = accountId ? await activeEnrollmentsOfAccount(db, ws, c.id, accountId) : [];
    if (colleagues.length > 0) {
      const before = await db
        .selectFrom('enrollments')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', 'in', colleagues)
        .where('enrolled_at', '<=', occurredAt)
        .execute();
      ids.push(...before.map((r) => r.id));
    }
  }
  return exitEnrollments(db, ws, [...new Set(ids)], reason, now);
}
