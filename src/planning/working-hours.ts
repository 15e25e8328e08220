// When a sales task falls due: inside its assignee's working hours, in the assignee's zone. A task that
// would land in the last stretch of a working day moves to the start of the next one, so nobody finds a
// call due at 16:55 on a Friday; it is overdue once that working day has ended without an answer.
import { addDelay, type Delay } from './delay.js';
import { NO_HOLIDAYS, type Holidays } from './holidays.js';
import { DEFAULT_SEND_WINDOW, nextSlot, type SendWindow } from './send-window.js';
import { DAY, HOUR, MINUTE, zoneClock } from './zone-clock.js';

/** Working hours have the shape of a send window; the default is Monday–Friday 09:00–17:00. */
export type WorkingHours = SendWindow;
export const DEFAULT_WORKING_HOURS: WorkingHours = DEFAULT_SEND_WINDOW;

/** A task needs at least this much of the working day left, or it is due at the next day's start. */
export const MIN_TASK_LEAD_MS = HOUR;
/** Open this long (business days in the assignee's zone) after it became overdue, a task expires. */
export const DEFAULT_TASK_EXPIRY: Delay = { amount: 3, unit: 'business_days' };

export interface TaskTimes {
  /** When the task is due: an instant inside the working hours. */
  dueAt: number;
  /** The end of the working period `dueAt` falls in: still open after it, the task is overdue. */
  overdueAt: number;
  /** Still open at this instant, the task expires. */
  expiresAt: number;
}

export interface TaskTimesInput {
  /** The earliest the task may fall due (when the step fires, or the time a person asked for). */
  from: number;
  zone: string;
  hours?: WorkingHours;
  holidays?: Holidays;
  /** Minimum working time left in the period; 0 keeps `from` when it is inside the hours. */
  minLeadMs?: number;
  expireAfter?: Delay;
}

function minutesOf(hhmm: string): number {
  return hhmm === '24:00' ? 1440 : Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * The end of the working period containing `t` (an instant inside the hours): the local end time of
 * that day, or the end of the fall-back interval `t` is in when the hour repeats.
 */
export function periodEnd(t: number, hours: WorkingHours, zone: string): number {
  const clock = zoneClock(zone);
  const day = Math.floor(clock.local(t) / DAY);
  const out: number[] = [0, 0, 0, 0];
  const n = clock.dayIntervals(day, minutesOf(hours.start) * MINUTE, minutesOf(hours.end) * MINUTE, out);
  for (let i = 0; i < n; i++) {
    const a = out[2 * i] as number;
    const b = out[2 * i + 1] as number;
    if (t >= a && t < b) return b;
  }
  // Not inside (a caller passed an instant outside the hours): the end of its local day's hours.
  return out[2 * n - 1] ?? t;
}

/**
 * Due, overdue and expiry instants of a task starting no earlier than `from`: the first working instant
 * that leaves `minLeadMs` of its working period; failing that, the start of the next working period.
 */
export function taskTimes(input: TaskTimesInput): TaskTimes {
  const hours = input.hours ?? DEFAULT_WORKING_HOURS;
  const holidays = input.holidays ?? NO_HOLIDAYS;
  const lead = input.minLeadMs ?? MIN_TASK_LEAD_MS;
  let due = nextSlot(input.from, hours, input.zone, holidays);
  // Only a calendar with no working day in five years gives null; the task is then due when asked.
  if (due === null) due = input.from;
  else {
    let end = periodEnd(due, hours, input.zone);
    if (end - due < lead) {
      const next = nextSlot(end, hours, input.zone, holidays);
      if (next !== null) {
        due = next;
        end = periodEnd(due, hours, input.zone);
      }
    }
    const expiresAt = addDelay(end, input.expireAfter ?? DEFAULT_TASK_EXPIRY, input.zone, holidays);
    return { dueAt: due, overdueAt: end, expiresAt };
  }
  return {
    dueAt: due,
    overdueAt: due,
    expiresAt: addDelay(due, input.expireAfter ?? DEFAULT_TASK_EXPIRY, input.zone, holidays),
  };
}
