// Forecast: what a campaign would do to its audience, computed with the engine's own planning code and
// without sending or writing anything. Every audience contact is walked through the sequence on a
// simulated timeline: each step is planned with `planStep` (delay, send window, holidays, campaign
// window) and placed with `placeWithState` against the contact's cap history, which holds the touches
// other running campaigns have planned or are performing (and what was sent in the last week). A touch
// placed later than its first send-window slot was pushed by a cap; one that no longer fits before the
// campaign end would be skipped with `window_closed`.
//
// Conditional steps (`when:`) cannot be known in advance: they are placed as though the condition holds
// (the cautious assumption for caps) and counted apart, as "if the condition holds".
//
// Other running campaigns: the touch queue only holds each active enrollment's *next* touch (the enroller
// plans step 0, the dispatcher plans the following step after each send), so the rest of their sequences is
// projected here (`projectOtherCampaigns`) the way the dispatcher would play it out, for the forecast's
// audience only (no one else can collide with it). Those touches are then fixed history for this campaign:
// the forecast does not re-arbitrate them against its priority.
import { assignArm } from '../domain/assignment.js';
import { BatonError } from '../domain/errors.js';
import { workspaceSettings } from '../domain/workspace-settings.js';
import {
  CapState,
  DAY,
  dayToIsoDate,
  placeWithState,
  resolveZone,
  zoneClock,
  type CapPolicy,
  type TouchRecord,
} from '../planning/index.js';
import { resolveAudience } from '../store/audience.js';
import { reachChannel } from './campaign-hooks.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import type { ContactRow } from '../store/touch-queue.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { buildRuntime, type CampaignRuntime } from './campaign-runtime.js';
import { reachability } from './dispatcher.js';
import { planStep } from './enroller.js';

export interface ForecastDay {
  /** Local date in the campaign zone, YYYY-MM-DD. */
  date: string;
  /** Unconditional touches per channel. */
  channels: Record<string, number>;
  total: number;
  /** Touches of conditional steps per channel, if their conditions hold. */
  conditional: Record<string, number>;
}

export interface ForecastStep {
  id: string;
  channel: string;
  conditional: boolean;
  /** Touches placed inside the campaign window. */
  planned: number;
  /** Placed later than their first send-window slot because of a cap. */
  pushed: number;
  /** Would fall after the campaign end: skipped with `window_closed`. */
  windowClosed: number;
}

export interface Forecast {
  campaignId: string;
  /** The instant the simulated timeline starts (the later of `from` and the window start). */
  start: number;
  /** The campaign end, or null for an open-ended program. */
  end: number | null;
  zone: string;
  audience: { contacts: number; holdout: number; treatment: number };
  /**
   * Touches of other running campaigns for these people: sent in the last 7 days, in flight, planned, and
   * the later steps of their sequences as the dispatcher would plan them (see `projectOtherCampaigns`).
   */
  otherCampaignTouches: number;
  days: ForecastDay[];
  /** The day with the most touches (unconditional ones), or null when nothing is planned. */
  peak: { date: string; touches: number } | null;
  totals: { touches: number; conditional: number; windowClosed: number };
  /** People with at least one touch pushed by a cap, and how far (in hours). */
  capped: {
    people: number;
    touches: number;
    medianPushHours: number | null;
    maxPushHours: number | null;
  };
  windowClosed: { people: number; touches: number };
  steps: ForecastStep[];
  /** The last placed touch (conditional ones included), or null. */
  lastTouchAt: number | null;
}

export interface ForecastOptions {
  /** Where the simulated timeline starts (default: the later of now and the window start). */
  from: number;
}

export async function forecastCampaign(
  store: Store,
  workspaceId: string,
  campaignId: string,
  options: ForecastOptions,
): Promise<Forecast> {
  const campaign = await new CampaignsRepository(store).get(workspaceId, campaignId);
  if (!campaign) throw BatonError.notFound('campaign', campaignId);
  const ws = await new WorkspacesRepository(store).get(workspaceId);
  const settings = workspaceSettings(ws?.settings ?? {});
  const rt = buildRuntime(workspaceId, campaign.spec, campaign.revision, settings);
  const start = rt.window ? Math.max(options.from, rt.window.start) : options.from;

  const { contactIds } = await resolveAudience(store, workspaceId, campaign.spec.audience ?? {}, {
    now: start,
    channel: reachChannel(campaign),
  });
  const zones = new Map<string, string | null>();
  const history = new Map<string, TouchRecord[]>();
  // The other campaigns' runtimes, built once each from the same workspace settings.
  const runtimes = new Map<string, CampaignRuntime | null>();
  const campaigns = new CampaignsRepository(store);
  const runtimeOf = async (id: string): Promise<CampaignRuntime | null> => {
    if (!runtimes.has(id)) {
      const c = await campaigns.get(workspaceId, id);
      runtimes.set(id, c ? buildRuntime(workspaceId, c.spec, c.revision, settings) : null);
    }
    return runtimes.get(id)!;
  };
  let otherCampaignTouches = 0;
  for (let i = 0; i < contactIds.length; i += 500) {
    const chunk = contactIds.slice(i, i + 500);
    const contacts = await store.db
      .selectFrom('contacts')
      .select(['id', 'time_zone', 'email', 'phone', 'subscription_status', 'sms_consent'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', chunk)
      .execute();
    for (const c of contacts) zones.set(c.id, c.time_zone);
    const touches = await store.db
      .selectFrom('touches')
      .innerJoin('campaigns', (j) =>
        j
          .onRef('campaigns.workspace_id', '=', 'touches.workspace_id')
          .onRef('campaigns.id', '=', 'touches.campaign_id'),
      )
      .select([
        'touches.contact_id as contact_id',
        'touches.campaign_id as campaign_id',
        'touches.step_index as step_index',
        'touches.step_id as step_id',
        'touches.channel as channel',
        'touches.status as status',
        'touches.due_at as due_at',
        'touches.sent_at as sent_at',
      ])
      .where('touches.workspace_id', '=', workspaceId)
      .where('touches.contact_id', 'in', chunk)
      .where('touches.campaign_id', '<>', campaignId)
      .where('campaigns.status', '=', 'running')
      .where((eb) =>
        eb.or([
          eb('touches.status', 'in', ['planned', 'claimed']),
          eb.and([eb('touches.status', '=', 'sent'), eb('touches.sent_at', '>', start - 8 * DAY)]),
        ]),
      )
      .execute();
    const sent = new Map<string, TouchRecord[]>();
    const pending = new Map<string, PendingTouch[]>();
    for (const t of touches) {
      if (t.status === 'sent') {
        push(sent, t.contact_id, {
          at: Number(t.sent_at ?? t.due_at),
          channel: t.channel,
          campaignId: t.campaign_id,
        });
        continue;
      }
      const other = await runtimeOf(t.campaign_id);
      if (!other) continue;
      push(pending, t.contact_id, {
        rt: other,
        stepIndex: Number(t.step_index),
        stepId: t.step_id,
        claimed: t.status === 'claimed',
        at: t.status === 'claimed' ? Number(t.sent_at ?? t.due_at) : Number(t.due_at),
      });
    }
    for (const c of contacts) {
      const list = projectOtherCampaigns(
        c,
        sent.get(c.id) ?? [],
        pending.get(c.id) ?? [],
        rt.caps,
        resolveZone(c.time_zone, rt.zone),
      );
      if (list.length === 0) continue;
      history.set(c.id, list);
      otherCampaignTouches += list.length;
    }
  }
  return simulate(rt, contactIds, zones, history, start, otherCampaignTouches);
}

/** Another running campaign's touch as the queue holds it: the next step of one active enrollment. */
export interface PendingTouch {
  rt: CampaignRuntime;
  stepIndex: number;
  stepId: string;
  /** Claimed (being sent): fixed at its claim time. Planned: due at `at`, still subject to the caps. */
  claimed: boolean;
  at: number;
}

/**
 * The touches other running campaigns will make to one contact: what was sent (`sent`), then each
 * enrollment's pending touch and the rest of its sequence, played out in time order as the dispatcher does
 * it — at each due instant (higher priority first on a tie) the touch is placed with `placeWithState`
 * against the caps of what went before; a touch the caps push is deferred to its placement and goes then
 * (unless another took the slot meanwhile); once it goes, the next step is planned from it with `planStep`.
 * A step that no longer fits in its campaign's window ends that sequence (`window_closed`), as does an
 * unsubscribed contact; a step the contact cannot be reached on is skipped and the next one planned.
 * Conditional steps are assumed sent (their conditions cannot be known yet; the cautious choice for caps).
 * Exits on events and auto-winner holds cannot be foreseen either and are ignored.
 */
export function projectOtherCampaigns(
  contact: Pick<ContactRow, 'time_zone' | 'email' | 'phone' | 'subscription_status' | 'sms_consent'>,
  sent: readonly TouchRecord[],
  pending: readonly PendingTouch[],
  policy: CapPolicy,
  zone: string,
): TouchRecord[] {
  const out: TouchRecord[] = [...sent];
  if (pending.length === 0) return out;
  const caps = new CapState(sent, policy, zone);
  const queue: Array<{ rt: CampaignRuntime; index: number; at: number }> = [];
  const planNext = (rt: CampaignRuntime, index: number, from: number): void => {
    const plan = planStep(rt, index + 1, from, contact.time_zone);
    // 'done': the sequence is over; 'skip': the next step no longer fits, which also ends it.
    if ('dueAt' in plan) queue.push({ rt, index: index + 1, at: plan.dueAt });
  };
  for (const p of pending) {
    // The dispatcher cancels a touch whose step the campaign no longer has.
    if (p.rt.steps[p.stepIndex]?.step.id !== p.stepId) continue;
    if (!p.claimed) {
      queue.push({ rt: p.rt, index: p.stepIndex, at: p.at });
      continue;
    }
    const channel = p.rt.steps[p.stepIndex]!.step.channel;
    out.push({ at: p.at, channel, campaignId: p.rt.id });
    caps.add({ at: p.at, channel });
    planNext(p.rt, p.stepIndex, p.at);
  }
  while (queue.length > 0) {
    // The earliest due touch; on a tie the higher priority, then the campaign id (the dispatcher's order).
    let k = 0;
    for (let j = 1; j < queue.length; j++) {
      const a = queue[j]!;
      const b = queue[k]!;
      if (
        a.at < b.at ||
        (a.at === b.at &&
          (a.rt.priority > b.rt.priority ||
            (a.rt.priority === b.rt.priority && compareText(a.rt.id, b.rt.id) < 0)))
      )
        k = j;
    }
    const item = queue[k]!;
    const { rt, index, at } = item;
    const step = rt.steps[index]!;
    const channel = step.step.channel;
    const unreachable = reachability(channel, contact);
    if (unreachable) {
      queue.splice(k, 1);
      if (unreachable !== 'unsubscribed') planNext(rt, index, at);
      continue;
    }
    if (!rt.exemptChannels.has(channel)) {
      const placed = placeWithState(
        {
          from: at,
          channel,
          zone: resolveZone(contact.time_zone, rt.zone),
          sendWindow: step.sendWindow,
          holidays: rt.holidays,
          campaignWindow: rt.window,
        },
        caps,
      );
      if ('skip' in placed) {
        queue.splice(k, 1);
        continue;
      }
      if (placed.at > at) {
        item.at = placed.at;
        continue;
      }
      caps.add({ at, channel });
    }
    queue.splice(k, 1);
    out.push({ at, channel, campaignId: rt.id });
    planNext(rt, index, at);
  }
  return out;
}

// The dispatcher's order for campaign ids.
const compareText = new Intl.Collator().compare;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The pure part: every contact through the sequence against its cap history. */
export function simulate(
  rt: CampaignRuntime,
  contactIds: readonly string[],
  zones: ReadonlyMap<string, string | null>,
  history: ReadonlyMap<string, readonly TouchRecord[]>,
  start: number,
  otherCampaignTouches = 0,
): Forecast {
  const clock = zoneClock(rt.zone);
  const days = new Map<number, ForecastDay>();
  const dayOf = (at: number): ForecastDay => {
    const d = Math.floor(clock.local(at) / DAY);
    let day = days.get(d);
    if (!day) days.set(d, (day = { date: dayToIsoDate(d), channels: {}, total: 0, conditional: {} }));
    return day;
  };
  const steps: ForecastStep[] = rt.steps.map((s) => ({
    id: s.step.id,
    channel: s.step.channel,
    conditional: Boolean(s.step.when),
    planned: 0,
    pushed: 0,
    windowClosed: 0,
  }));
  const pushes: number[] = [];
  let holdout = 0;
  let cappedPeople = 0;
  let closedPeople = 0;
  let lastTouchAt: number | null = null;
  let touches = 0;
  let conditional = 0;
  let windowClosed = 0;

  for (const id of contactIds) {
    if (assignArm(rt.id, id, rt.holdoutPercent) === 'holdout') {
      holdout++;
      continue;
    }
    const contactZone = zones.get(id) ?? null;
    const zone = resolveZone(contactZone, rt.zone);
    const caps = new CapState(history.get(id) ?? [], rt.caps, zone);
    let previous = start;
    let wasCapped = false;
    for (let index = 0; index < rt.steps.length; index++) {
      const s = rt.steps[index]!;
      const stat = steps[index]!;
      const plan = planStep(rt, index, previous, contactZone);
      if ('done' in plan) break;
      const placed =
        'skip' in plan
          ? plan
          : rt.exemptChannels.has(s.step.channel)
            ? { at: plan.dueAt, wantedAt: plan.dueAt }
            : placeWithState(
                {
                  from: plan.dueAt,
                  channel: s.step.channel,
                  zone,
                  sendWindow: s.sendWindow,
                  holidays: rt.holidays,
                  campaignWindow: rt.window,
                },
                caps,
              );
      if ('skip' in placed) {
        // The dispatcher ends the sequence here for this person: the rest cannot fit either.
        stat.windowClosed++;
        windowClosed++;
        closedPeople++;
        break;
      }
      if (!rt.exemptChannels.has(s.step.channel)) caps.add({ at: placed.at, channel: s.step.channel });
      stat.planned++;
      if (placed.at > placed.wantedAt) {
        stat.pushed++;
        pushes.push(placed.at - placed.wantedAt);
        wasCapped = true;
      }
      const day = dayOf(placed.at);
      if (stat.conditional) {
        day.conditional[s.step.channel] = (day.conditional[s.step.channel] ?? 0) + 1;
        conditional++;
      } else {
        day.channels[s.step.channel] = (day.channels[s.step.channel] ?? 0) + 1;
        day.total++;
        touches++;
      }
      if (lastTouchAt === null || placed.at > lastTouchAt) lastTouchAt = placed.at;
      previous = placed.at;
    }
    if (wasCapped) cappedPeople++;
  }

  const ordered = [...days.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
  let peak: Forecast['peak'] = null;
  for (const d of ordered)
    if (d.total > 0 && (!peak || d.total > peak.touches)) peak = { date: d.date, touches: d.total };
  pushes.sort((a, b) => a - b);
  const hours = (ms: number): number => Math.round((ms / 3_600_000) * 10) / 10;
  return {
    campaignId: rt.id,
    start,
    end: rt.window?.end ?? null,
    zone: rt.zone,
    audience: { contacts: contactIds.length, holdout, treatment: contactIds.length - holdout },
    otherCampaignTouches,
    days: ordered,
    peak,
    totals: { touches, conditional, windowClosed },
    capped: {
      people: cappedPeople,
      touches: pushes.length,
      medianPushHours: pushes.length > 0 ? hours(median(pushes)) : null,
      maxPushHours: pushes.length > 0 ? hours(pushes[pushes.length - 1]!) : null,
    },
    windowClosed: { people: closedPeople, touches: windowClosed },
    steps,
    lastTouchAt,
  };
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The forecast as a readable report: per-step figures, then touches per day and channel. */
export function formatForecast(f: Forecast): string {
  const iso = (ms: number | null): string =>
    ms === null ? '—' : new Date(ms).toISOString().slice(0, 16) + 'Z';
  const lines: string[] = [];
  lines.push(`Forecast for ${f.campaignId} (days in ${f.zone}), from ${iso(f.start)} to ${iso(f.end)}`);
  lines.push(
    `Audience ${f.audience.contacts} (holdout ${f.audience.holdout}, treatment ${f.audience.treatment}); ` +
      `${f.otherCampaignTouches} touches of other running campaigns taken into account`,
  );
  lines.push(
    `Touches ${f.totals.touches}` +
      (f.totals.conditional > 0 ? ` (+${f.totals.conditional} if conditions hold)` : '') +
      `; peak ${f.peak ? `${f.peak.date} (${f.peak.touches})` : '—'}; last touch ${iso(f.lastTouchAt)}`,
  );
  lines.push(
    `Pushed by caps: ${f.capped.people} people, ${f.capped.touches} touches` +
      (f.capped.touches > 0 ? `, median ${f.capped.medianPushHours} h, max ${f.capped.maxPushHours} h` : ''),
  );
  lines.push(
    `After the end (window_closed): ${f.windowClosed.touches} touches, ${f.windowClosed.people} people`,
  );
  lines.push('');
  lines.push(
    table(
      ['step', 'channel', 'planned', 'pushed', 'window_closed'],
      f.steps.map((s) => [
        s.conditional ? `${s.id} (if)` : s.id,
        s.channel,
        String(s.planned),
        String(s.pushed),
        String(s.windowClosed),
      ]),
    ),
  );
  const channels = [
    ...new Set(f.days.flatMap((d) => [...Object.keys(d.channels), ...Object.keys(d.conditional)])),
  ].sort();
  if (f.days.length > 0) {
    lines.push('');
    lines.push(
      table(
        ['date', ...channels, 'total', 'if conditions hold'],
        f.days.map((d) => [
          d.date,
          ...channels.map((c) => String(d.channels[c] ?? 0)),
          String(d.total),
          String(Object.values(d.conditional).reduce((a, b) => a + b, 0)),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The forecast as the API returns it (snake case, ISO times). */
export function forecastJson(f: Forecast): Record<string, unknown> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    campaign_id: f.campaignId,
    start: iso(f.start),
    end: iso(f.end),
    zone: f.zone,
    audience: f.audience,
    other_campaign_touches: f.otherCampaignTouches,
    days: f.days,
    peak: f.peak,
    totals: {
      touches: f.totals.touches,
      conditional: f.totals.conditional,
      window_closed: f.totals.windowClosed,
    },
    capped: {
      people: f.capped.people,
      touches: f.capped.touches,
      median_push_hours: f.capped.medianPushHours,
      max_push_hours: f.capped.maxPushHours,
    },
    window_closed: f.windowClosed,
    steps: f.steps.map((s) => ({
      id: s.id,
      channel: s.channel,
      conditional: s.conditional,
      planned: s.planned,
      pushed: s.pushed,
      window_closed: s.windowClosed,
    })),
    last_touch_at: iso(f.lastTouchAt),
  };
}
