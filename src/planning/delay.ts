// Step delays (`30m`, `2h`, `1d`, `3bd`, `1w`): parsing, and adding one to an instant in a zone.
import { z } from 'zod';
import { BatonError } from '../domain/errors.js';
import { holidayDays, NO_HOLIDAYS, type Holidays } from './holidays.js';
import { DAY, HOUR, isoWeekday, MINUTE, zoneClock } from './zone-clock.js';

export type DelayUnit = 'minutes' | 'hours' | 'days' | 'business_days';

/** A step delay. Minutes and hours are elapsed time; days keep the local wall-clock time. */
export interface Delay {
  amount: number;
  unit: DelayUnit;
}

const SUFFIX: Record<string, { unit: DelayUnit; factor: number }> = {
  m: { unit: 'minutes', factor: 1 },
  min: { unit: 'minutes', factor: 1 },
  h: { unit: 'hours', factor: 1 },
  d: { unit: 'days', factor: 1 },
  bd: { unit: 'business_days', factor: 1 },
  w: { unit: 'days', factor: 7 },
};

const DELAY = /^\s*(-?\d+(?:\.\d+)?)\s*(m|min|h|d|bd|w)\s*$/i;

const DELAY_HELP = 'a number and a unit: m (minutes), h (hours), d (days), bd (business days), w (weeks)';

/** The longest delay accepted: ten years. */
const MAX_MINUTES = 3660 * 24 * 60;

/**
 * Parses `0d`, `30m`, `2h`, `3bd`, `1w` (= 7 days), `1.5h` (= 90 minutes). A fractional number of
 * days or weeks (`1.5d`) is elapsed time in minutes, since half a calendar day has no wall-clock
 * meaning; business days must be whole. Throws `invalid_input` naming `path` and the value.
 */
export function parseDelay(text: string, path = 'delay'): Delay {
  const fail = (why: string): BatonError =>
    BatonError.invalid([{ path, message: `${JSON.stringify(text)} ${why}` }]);
  const m = DELAY.exec(text);
  if (!m) throw fail(`is not a delay: use ${DELAY_HELP}`);
  const n = Number(m[1]);
  const spec = SUFFIX[(m[2] as string).toLowerCase()] as { unit: DelayUnit; factor: number };
  if (n < 0) throw fail('is negative: a delay cannot go back in time');
  const amount = n * spec.factor;
  const minutes = amount * { minutes: 1, hours: 60, days: 1440, business_days: 1440 }[spec.unit];
  if (minutes > MAX_MINUTES) throw fail('is too long: a delay is at most ten years');
  if (Number.isInteger(amount)) return { amount, unit: spec.unit };
  if (spec.unit === 'business_days') throw fail('is not a whole number of business days');
  if (spec.unit === 'days') return { amount: minutes, unit: 'minutes' };
  return { amount, unit: spec.unit };
}

/** `Delay` back to its shortest text (`{ amount: 3, unit: 'business_days' }` → `3bd`). */
export function formatDelay(delay: Delay): string {
  const suffix = { minutes: 'm', hours: 'h', days: 'd', business_days: 'bd' }[delay.unit];
  return `${delay.amount}${suffix}`;
}

/** A delay in a campaign file: the text form, parsed. Invalid text is a zod issue with the same message. */
export const delaySchema = z.string().transform((text, ctx): Delay => {
  try {
    return parseDelay(text);
  } catch (e) {
    ctx.addIssue({
      code: 'custom',
      message: e instanceof Error ? e.message.replace(/^delay: /, '') : String(e),
    });
    return z.NEVER;
  }
});

/** Monday to Friday, not a workspace holiday (local day numbers). */
export function isBusinessDay(day: number, holidays: ReadonlySet<number>): boolean {
  return isoWeekday(day) <= 5 && !holidays.has(day);
}

/**
 * `from` plus `delay` in `zone`. Minutes and hours add elapsed time. Days add calendar days in the
 * zone and keep the wall-clock time (so `1d` across a DST change is 23 or 25 hours). Business days
 * count forward over Monday–Friday days that are not holidays, keeping the wall-clock time, like a
 * spreadsheet's WORKDAY (1bd from a Saturday is the Monday). A wall time that the target day skips
 * (spring forward) moves forward by the gap; one it repeats takes the first occurrence.
 */
export function addDelay(from: number, delay: Delay, zone: string, holidays: Holidays = NO_HOLIDAYS): number {
  switch (delay.unit) {
    case 'minutes':
      return from + Math.round(delay.amount * MINUTE);
    case 'hours':
      return from + Math.round(delay.amount * HOUR);
    case 'days': {
      if (delay.amount === 0) return from;
      const clock = zoneClock(zone);
      return clock.instant(clock.local(from) + delay.amount * DAY);
    }
    case 'business_days': {
      if (delay.amount === 0) return from;
      const clock = zoneClock(zone);
      const days = holidayDays(holidays);
      const wall = clock.local(from);
      let day = Math.floor(wall / DAY);
      let left = delay.amount;
      while (left > 0) {
        day++;
        if (isBusinessDay(day, days)) left--;
      }
      return clock.instant(day * DAY + (wall - Math.floor(wall / DAY) * DAY));
    }
  }
}
