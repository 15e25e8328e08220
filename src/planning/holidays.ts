// Workspace holidays: ISO dates (YYYY-MM-DD) read in the contact's zone, compiled once to day numbers.
import { BatonError } from '../domain/errors.js';
import { DAY } from './zone-clock.js';

/** Workspace holidays as ISO calendar dates (`2027-12-25`), meaning that local date in the contact's zone. */
export type Holidays = ReadonlySet<string>;

export const NO_HOLIDAYS: Holidays = new Set<string>();

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of an ISO date, or `null` when it is not a real calendar date. */
export function isoDateToDay(iso: string): number | null {
  const m = ISO_DATE.exec(iso);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY;
}

/** ISO date (`YYYY-MM-DD`) of a day number. */
export function dayToIsoDate(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

const compiled = new WeakMap<Holidays, ReadonlySet<number>>();

/** The holidays as a set of day numbers (memoised per set; sets are treated as immutable). */
export function holidayDays(holidays: Holidays): ReadonlySet<number> {
  let days = compiled.get(holidays);
  if (days === undefined) {
    const s = new Set<number>();
    for (const iso of holidays) {
      const d = isoDateToDay(iso);
      if (d === null) {
        throw BatonError.invalid([
          { path: 'holidays', message: `${JSON.stringify(iso)} is not a calendar date (YYYY-MM-DD)` },
        ]);
      }
      s.add(d);
    }
    days = s;
    compiled.set(holidays, days);
  }
  return days;
}

/** Builds a holiday set from ISO dates, validating each. */
export function toHolidays(dates: Iterable<string>): Holidays {
  const set = new Set(dates);
  holidayDays(set);
  return set;
}
