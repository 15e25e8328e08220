// Send windows (the local days and hours a contact may be touched) and the campaign window.
import { z } from 'zod';
import { BatonError, zodIssues } from '../domain/errors.js';
import { holidayDays, NO_HOLIDAYS, type Holidays } from './holidays.js';
import { DAY, isoWeekday, MINUTE, zoneClock } from './zone-clock.js';

/** Local days (1 = Monday … 7 = Sunday) and hours `[start, end)` in which touches may go out. */
export interface SendWindow {
  days: number[];
  /** `HH:MM`, inclusive. */
  start: string;
  /** `HH:MM` (or `24:00`), exclusive; after `start` (windows do not cross midnight). */
  end: string;
}

/** Monday to Friday, 09:00–17:00 local time. */
export const DEFAULT_SEND_WINDOW: SendWindow = Object.freeze({
  days: Object.freeze([1, 2, 3, 4, 5]) as number[],
  start: '09:00',
  end: '17:00',
});

/** The campaign's own bounds: touches at `start` ≤ t < `end` (end `null` for always-on programs). */
export interface CampaignWindow {
  start: number;
  end: number | null;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

function minutesOf(hhmm: string): number {
  if (hhmm === '24:00') return 1440;
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export const sendWindowSchema = z
  .object({
    days: z
      .array(
        z
          .number()
          .int()
          .min(1, 'days are 1 (Monday) to 7 (Sunday)')
          .max(7, 'days are 1 (Monday) to 7 (Sunday)'),
      )
      .min(1, 'needs at least one day'),
    start: z.string().regex(HHMM, 'must be a time HH:MM (00:00–23:59)'),
    end: z.string().regex(HHMM, 'must be a time HH:MM (00:01–24:00)'),
  })
  .strict()
  .refine((w) => minutesOf(w.start) < minutesOf(w.end), {
    message: 'end must be after start (a send window does not cross midnight)',
    path: ['end'],
  });

/** A send window compiled for the hot path: a weekday bit mask and milliseconds into the local day. */
interface CompiledWindow {
  dayMask: number;
  startMs: number;
  endMs: number;
}

const compiledWindows = new WeakMap<SendWindow, CompiledWindow>();

function compile(window: SendWindow): CompiledWindow {
  let c = compiledWindows.get(window);
  if (c === undefined) {
    const parsed = sendWindowSchema.safeParse(window);
    if (!parsed.success) throw BatonError.invalid(zodIssues(parsed.error.issues, 'send_window'));
    let dayMask = 0;
    for (const d of window.days) dayMask |= 1 << d;
    c = { dayMask, startMs: minutesOf(window.start) * MINUTE, endMs: minutesOf(window.end) * MINUTE };
    compiledWindows.set(window, c);
  }
  return c;
}

/** Validates a send window (throws `invalid_input` naming the field). */
export function checkSendWindow(window: SendWindow): void {
  compile(window);
}

/** Whether instant `t` falls inside the send window in `zone` (holidays are closed days). */
export function inSendWindow(
  t: number,
  window: SendWindow,
  zone: string,
  holidays: Holidays = NO_HOLIDAYS,
): boolean {
  const w = compile(window);
  const wall = zoneClock(zone).local(t);
  const day = Math.floor(wall / DAY);
  const ms = wall - day * DAY;
  if (ms < w.startMs || ms >= w.endMs || (w.dayMask & (1 << isoWeekday(day))) === 0) return false;
  return holidays.size === 0 || !holidayDays(holidays).has(day);
}

/** How far `nextSlot` looks when no limit is given: about five years. */
const DEFAULT_HORIZON = 1830 * DAY;

const scratch: number[] = [0, 0, 0, 0];
// No zone is ahead of UTC by more than 14 hours: local date D starts no earlier than D 00:00 − 14h UTC.
const EARLIEST_OFFSET = 14 * 3_600_000;

/**
 * The first instant ≥ `from` whose local wall time in `zone` is inside the send window on an open
 * day (a listed weekday that is not a holiday), or `null` when there is none before `until`
 * (exclusive; default about five years after `from`). Exact across DST: a window start inside a
 * spring-forward gap opens at the end of the gap, and a fall-back overlap opens at the first
 * occurrence of the start time (and, if the window spans the repeated hour, again at the second).
 */
export function nextSlot(
  from: number,
  window: SendWindow,
  zone: string,
  holidays: Holidays = NO_HOLIDAYS,
  until: number = from + DEFAULT_HORIZON,
): number | null {
  const w = compile(window);
  const clock = zoneClock(zone);
  const closed = holidays.size === 0 ? null : holidayDays(holidays);
  const wall = clock.local(from);
  const fromDay = Math.floor(wall / DAY);
  const ms = wall - fromDay * DAY;
  // Fast path: already inside the window.
  if (
    ms >= w.startMs &&
    ms < w.endMs &&
    (w.dayMask & (1 << isoWeekday(fromDay))) !== 0 &&
    (closed === null || !closed.has(fromDay))
  ) {
    return from < until ? from : null;
  }
  // Start a day early: a transition at midnight can give instants after `from` the previous date.
  for (let day = fromDay - 1; ; day++) {
    if (day * DAY - EARLIEST_OFFSET >= until) return null;
    if ((w.dayMask & (1 << isoWeekday(day))) === 0 || (closed !== null && closed.has(day))) continue;
    const n = clock.dayIntervals(day, w.startMs, w.endMs, scratch);
    for (let i = 0; i < n; i++) {
      const a = scratch[2 * i] as number;
      const b = scratch[2 * i + 1] as number;
      if (b > from) {
        const t = a > from ? a : from;
        return t < until ? t : null;
      }
    }
  }
}

/** `from` moved into the campaign window: before the start → the start; at or after the end → `null`. */
export function clampToCampaignWindow(
  from: number,
  campaign: CampaignWindow | null | undefined,
): number | null {
  if (!campaign) return from;
  const t = from < campaign.start ? campaign.start : from;
  return campaign.end !== null && t >= campaign.end ? null : t;
}
