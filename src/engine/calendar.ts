// The marketing calendar: planned and sent touches per local day (the workspace zone), campaign and
// channel, with collisions (one person touched by two or more campaigns on the same day) counted, the
// campaigns' social posts, and an iCalendar export of the campaign windows, posts and daily volumes.
import ical from 'ical-generator';
import { BatonError } from '../domain/errors.js';
import { campaignWindow } from '../domain/campaign.js';
import { workspaceSettings } from '../domain/workspace-settings.js';
import { DAY, dayToIsoDate, isoDateToDay, zoneClock } from '../planning/index.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import { plannedPosts, postsBetween } from '../store/social-posts.repository.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';

export interface CalendarEntry {
  campaignId: string;
  channel: string;
  /** Planned, held or in flight (claimed). */
  planned: number;
  sent: number;
}

export interface CalendarDay {
  date: string;
  planned: number;
  sent: number;
  /** People touched by two or more campaigns this day (planned and sent touches together). */
  collisions: number;
  entries: CalendarEntry[];
}

/** A campaign's social post (campaign-level, not per person): planned, or as it went out. */
export interface CalendarPost {
  campaignId: string;
  postId: string;
  account: string;
  at: number;
  /** planned | sending | sent | failed | cancelled */
  status: string;
  text: string;
}

export interface Calendar {
  zone: string;
  from: number;
  to: number;
  days: CalendarDay[];
  posts: CalendarPost[];
  totals: { planned: number; sent: number; collisions: number };
}

export interface CalendarRange {
  /** `YYYY-MM-DD` (start of that day in the workspace zone) or an ISO 8601 date-time. */
  from?: string;
  /** `YYYY-MM-DD` (that day included) or an ISO 8601 date-time (excluded). */
  to?: string;
}

/** At most this many days in one calendar request. */
export const MAX_CALENDAR_DAYS = 366;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The range as instants `[from, to)`; defaults: 7 days back, 28 days ahead of today in `zone`. */
export function calendarBounds(
  range: CalendarRange,
  zone: string,
  now: number,
): { from: number; to: number } {
  const clock = zoneClock(zone);
  const today = Math.floor(clock.local(now) / DAY);
  const bound = (value: string | undefined, which: 'from' | 'to', fallbackDay: number): number => {
    if (value === undefined) return clock.startOfDay(fallbackDay);
    if (DATE.test(value)) {
      const day = isoDateToDay(value);
      if (day === null) throw invalid(which, 'is not a calendar date');
      return clock.startOfDay(which === 'to' ? day + 1 : day);
    }
    const t = Date.parse(value);
    if (!Number.isFinite(t) || !/T/.test(value)) {
      throw invalid(which, 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time');
    }
    return t;
  };
  const from = bound(range.from, 'from', today - 7);
  const to = bound(range.to, 'to', today + 29);
  if (to <= from) throw invalid('to', 'must be after from');
  if (to - from > MAX_CALENDAR_DAYS * DAY + 2 * 3_600_000) {
    throw invalid('to', `the range is at most ${MAX_CALENDAR_DAYS} days`);
  }
  return { from, to };
}

function invalid(path: string, message: string): BatonError {
  return BatonError.invalid([{ path, message }]);
}

async function workspaceZone(store: Store, workspaceId: string): Promise<string> {
  const ws = await new WorkspacesRepository(store).get(workspaceId);
  return workspaceSettings(ws?.settings ?? {}).time_zone;
}

/** Planned and sent touches of the workspace in the range, per local day, campaign and channel. */
export async function buildCalendar(
  store: Store,
  workspaceId: string,
  range: CalendarRange,
  now: number,
): Promise<Calendar> {
  const zone = await workspaceZone(store, workspaceId);
  const { from, to } = calendarBounds(range, zone, now);
  const clock = zoneClock(zone);
  const byDay = new Map<
    number,
    { entries: Map<string, CalendarEntry>; people: Map<string, string | true>; planned: number; sent: number }
  >();

  const add = (
    row: { contact_id: string; campaign_id: string; channel: string },
    at: number,
    sent: boolean,
  ) => {
    const d = Math.floor(clock.local(at) / DAY);
    let day = byDay.get(d);
    if (!day) byDay.set(d, (day = { entries: new Map(), people: new Map(), planned: 0, sent: 0 }));
    const key = `${row.campaign_id}\u0000${row.channel}`;
    let e = day.entries.get(key);
    if (!e)
      day.entries.set(key, (e = { campaignId: row.campaign_id, channel: row.channel, planned: 0, sent: 0 }));
    if (sent) {
      e.sent++;
      day.sent++;
    } else {
      e.planned++;
      day.planned++;
    }
    // One campaign id per person, or `true` once a second campaign touches them that day.
    const seen = day.people.get(row.contact_id);
    if (seen === undefined) day.people.set(row.contact_id, row.campaign_id);
    else if (seen !== true && seen !== row.campaign_id) day.people.set(row.contact_id, true);
  };

  const sent = await store.db
    .selectFrom('touches')
    .select(['contact_id', 'campaign_id', 'channel', 'sent_at'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'sent')
    .where('sent_at', '>=', from)
    .where('sent_at', '<', to)
    .execute();
  for (const r of sent) add(r, Number(r.sent_at), true);
  const planned = await store.db
    .selectFrom('touches')
    .select(['contact_id', 'campaign_id', 'channel', 'status', 'due_at', 'sent_at'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', ['planned', 'held']), eb('due_at', '>=', from), eb('due_at', '<', to)]),
        eb.and([eb('status', '=', 'claimed'), eb('sent_at', '>=', from), eb('sent_at', '<', to)]),
      ]),
    )
    .execute();
  for (const r of planned) add(r, Number(r.status === 'claimed' ? r.sent_at : r.due_at), false);

  // Social posts count as one touch of their campaign on the `social` channel; they reach no one person,
  // so they take no part in collisions.
  const posts = await socialPosts(store, workspaceId, from, to);
  for (const p of posts) {
    if (p.status === 'cancelled' || p.status === 'failed') continue;
    const d = Math.floor(clock.local(p.at) / DAY);
    let day = byDay.get(d);
    if (!day) byDay.set(d, (day = { entries: new Map(), people: new Map(), planned: 0, sent: 0 }));
    const key = `${p.campaignId}\u0000social`;
    let e = day.entries.get(key);
    if (!e) day.entries.set(key, (e = { campaignId: p.campaignId, channel: 'social', planned: 0, sent: 0 }));
    if (p.status === 'sent') {
      e.sent++;
      day.sent++;
    } else {
      e.planned++;
      day.planned++;
    }
  }

  const days: CalendarDay[] = [...byDay.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, day]) => {
      let collisions = 0;
      for (const v of day.people.values()) if (v === true) collisions++;
      return {
        date: dayToIsoDate(d),
        planned: day.planned,
        sent: day.sent,
        collisions,
        entries: [...day.entries.values()].sort(
          (a, b) => a.campaignId.localeCompare(b.campaignId) || a.channel.localeCompare(b.channel),
        ),
      };
    });
  const totals = { planned: 0, sent: 0, collisions: 0 };
  for (const d of days) {
    totals.planned += d.planned;
    totals.sent += d.sent;
    totals.collisions += d.collisions;
  }
  return { zone, from, to, days, posts, totals };
}

/**
 * Posts in `[from, to)`: those already planned in the store (the campaign ran), and for scheduled, running
 * or paused campaigns whose posts are not stored yet, the times their specs give.
 */
async function socialPosts(
  store: Store,
  workspaceId: string,
  from: number,
  to: number,
): Promise<CalendarPost[]> {
  const stored = await postsBetween(store.db, workspaceId, from, to);
  const out: CalendarPost[] = stored.map((p) => ({
    campaignId: p.campaignId,
    postId: p.postId,
    account: p.account,
    at: p.sentAt ?? p.dueAt,
    status: p.status,
    text: p.text,
  }));
  const known = new Set(
    (
      await store.db
        .selectFrom('social_posts')
        .select(['campaign_id', 'post_id'])
        .where('workspace_id', '=', workspaceId)
        .execute()
    ).map((r) => `${r.campaign_id}\u0000${r.post_id}`),
  );
  const live = await new CampaignsRepository(store).list(workspaceId, {
    statuses: ['scheduled', 'running', 'paused'],
  });
  for (const c of live) {
    for (const p of plannedPosts(c.id, c.spec, c.launchedAt)) {
      if (known.has(`${c.id}\u0000${p.postId}`) || p.dueAt < from || p.dueAt >= to) continue;
      out.push({
        campaignId: c.id,
        postId: p.postId,
        account: p.account,
        at: p.dueAt,
        status: 'planned',
        text: p.text,
      });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.campaignId.localeCompare(b.campaignId));
}

/**
 * The calendar as iCalendar: one event per campaign window that overlaps the range (open-ended programs
 * run to the end of the range) and one all-day event per day with touches, its volumes in the description.
 */
export async function calendarIcs(
  store: Store,
  workspaceId: string,
  range: CalendarRange,
  now: number,
): Promise<string> {
  const cal = await buildCalendar(store, workspaceId, range, now);
  const ics = ical({ name: 'Baton campaigns', timezone: cal.zone, prodId: '//Baton//Calendar//EN' });
  for (const c of await new CampaignsRepository(store).list(workspaceId)) {
    if (c.status === 'draft' || c.status === 'cancelled') continue;
    const win = campaignWindow(c.spec);
    if (!win) continue;
    const end = win.end ?? cal.to;
    if (end <= cal.from || win.start >= cal.to) continue;
    ics.createEvent({
      id: `campaign-${c.id}@baton`,
      start: new Date(win.start),
      end: new Date(Math.max(end, win.start + 60_000)),
      summary: `${c.name} (${c.status})`,
      description: `Campaign ${c.id}, priority ${c.spec.priority}, channels ${c.spec.channels.join(', ')}`,
      stamp: new Date(now),
    });
  }
  for (const p of cal.posts) {
    ics.createEvent({
      id: `post-${p.campaignId}-${p.postId}@baton`,
      start: new Date(p.at),
      end: new Date(p.at + 15 * 60_000),
      summary: `Social post on ${p.account} (${p.status}): ${p.text.length > 60 ? `${p.text.slice(0, 59)}…` : p.text}`,
      description: `Campaign ${p.campaignId}, post ${p.postId}\n${p.text}`,
      stamp: new Date(now),
    });
  }
  for (const d of cal.days) {
    const day = isoDateToDay(d.date)!;
    const lines = d.entries.map((e) => `${e.campaignId} ${e.channel}: ${e.planned} planned, ${e.sent} sent`);
    if (d.collisions > 0) lines.push(`${d.collisions} people touched by two or more campaigns`);
    ics.createEvent({
      id: `volume-${d.date}@baton`,
      start: new Date(day * DAY),
      end: new Date((day + 1) * DAY),
      allDay: true,
      summary: `Baton: ${d.planned + d.sent} touches (${d.sent} sent, ${d.planned} planned)`,
      description: lines.join('\n'),
      stamp: new Date(now),
    });
  }
  return ics.toString();
}
