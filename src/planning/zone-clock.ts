// Fast, exact wall-clock math in one IANA zone: cached UTC offsets, local date/time of an instant,
// and the instant(s) of a local wall time (gaps move forward, overlaps take the first occurrence).
import { IANAZone } from 'luxon';
import { BatonError } from '../domain/errors.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

// Every instant whose local date is D lies within [D 00:00 - 14h, D 24:00 + 12h] (UTC offsets span
// -12:00..+14:00); the margins make sure a search window covers them.
const MAX_EAST = 14 * HOUR + HOUR;
const MAX_WEST = 12 * HOUR + HOUR;

/** An hour bucket with a UTC-offset change inside it: `before` until `at`, `after` from `at`. */
interface Shift {
  before: number;
  after: number;
  at: number;
}

// Offsets are cached in chunks of 8192 hours (about 341 days) of Int16 minutes; a chunk's slot holds
// UNKNOWN until asked, or SHIFTED when the hour contains a transition (kept in `shifts`).
const CHUNK_BITS = 13;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const UNKNOWN = -32768;
const SHIFTED = -32767;
const CHUNK_LIMIT = 256;

/**
 * One zone's offsets, memoised per UTC hour. luxon's `IANAZone.offset` costs several microseconds
 * (an Intl format per call); the planner asks for offsets millions of times, mostly for a few
 * thousand distinct hours, so an array read replaces almost all of them. An hour that contains a
 * transition stores the exact instant of the change (found once by bisection).
 */
export class ZoneClock {
  readonly name: string;
  private readonly zone: IANAZone;
  private readonly chunks = new Map<number, Int16Array>();
  private readonly shifts = new Map<number, Shift>();
  private lastChunk = NaN;
  private last: Int16Array = new Int16Array(0);

  constructor(name: string, zone: IANAZone) {
    this.name = name;
    this.zone = zone;
  }

  /** UTC offset in minutes at instant `ts`. */
  offset(ts: number): number {
    const h = Math.floor(ts / HOUR);
    const c = Math.floor(h / (CHUNK_MASK + 1));
    let chunk = this.last;
    if (c !== this.lastChunk) {
      chunk = this.chunk(c);
      this.last = chunk;
      this.lastChunk = c;
    }
    const i = h & CHUNK_MASK;
    let v = chunk[i] as number;
    if (v === UNKNOWN) {
      const b = this.bucket(h);
      if (typeof b === 'number') v = b;
      else {
        this.shifts.set(h, b);
        v = SHIFTED;
      }
      chunk[i] = v;
    }
    if (v !== SHIFTED) return v;
    const shift = this.shifts.get(h) as Shift;
    return ts < shift.at ? shift.before : shift.after;
  }

  private chunk(c: number): Int16Array {
    let chunk = this.chunks.get(c);
    if (chunk === undefined) {
      if (this.chunks.size >= CHUNK_LIMIT) this.chunks.clear();
      chunk = new Int16Array(CHUNK_MASK + 1).fill(UNKNOWN);
      this.chunks.set(c, chunk);
    }
    return chunk;
  }

  /** The hour's offset, or its transition (a local-mean-time offset with seconds is kept as one too). */
  private bucket(h: number): number | Shift {
    const lo = h * HOUR;
    const hi = lo + HOUR - 1;
    const before = this.zone.offset(lo);
    const after = this.zone.offset(hi);
    if (before === after) return Number.isInteger(before) ? before : { before, after, at: lo };
    // Smallest instant in (lo, hi] with the new offset; transitions fall on whole seconds.
    let a = lo;
    let b = hi;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.zone.offset(mid) === before) a = mid;
      else b = mid;
    }
    return { before, after, at: b };
  }

  /** Wall-clock milliseconds of `ts` as if the local time were UTC (`local / DAY` is the local day). */
  local(ts: number): number {
    return ts + this.offset(ts) * MINUTE;
  }

  /**
   * The first instant in (lo, hi] whose offset differs from the offset at `lo`, or `null`.
   * Assumes at most one transition in the range (true of every zone for ranges of a few days).
   */
  transitionIn(lo: number, hi: number): number | null {
    const before = this.offset(lo);
    if (this.offset(hi) === before) return null;
    let a = lo;
    let b = hi;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.offset(mid) === before) a = mid;
      else b = mid;
    }
    return b;
  }

  /**
   * The instant of local wall time `wall` (ms, as if UTC). A wall time that does not exist (spring
   * forward) moves forward by the length of the gap, as RFC 5545 §3.3.5 and Temporal's
   * `disambiguation: 'compatible'` do; a wall time that exists twice (fall back) is its first occurrence.
   */
  instant(wall: number): number {
    const oBefore = this.offset(wall - MAX_EAST);
    const oAfter = this.offset(wall + MAX_WEST);
    const t1 = wall - oBefore * MINUTE;
    if (oBefore === oAfter) return t1;
    const t2 = wall - oAfter * MINUTE;
    const ok1 = this.local(t1) === wall;
    const ok2 = this.local(t2) === wall;
    if (ok1 && ok2) return Math.min(t1, t2);
    if (ok1) return t1;
    if (ok2) return t2;
    return t1; // in the gap: read with the offset in force before it, which lands after the gap
  }

  /**
   * The instants whose local date is `day` (days since 1970-01-01) and whose wall time is in
   * [startMs, endMs) of that day, as at most two half-open intervals `[a, b)`, in order. Exact across
   * transitions: a window start inside a spring-forward gap begins at the end of the gap, and a
   * fall-back hour that repeats window times yields a second interval.
   */
  dayIntervals(day: number, startMs: number, endMs: number, out: number[]): number {
    const wallStart = day * DAY + startMs;
    const wallEnd = day * DAY + endMs;
    const lo = day * DAY - MAX_EAST;
    const hi = day * DAY + DAY + MAX_WEST;
    const T = this.transitionIn(lo, hi);
    let n = 0;
    if (T === null) {
      const o = this.offset(lo) * MINUTE;
      out[0] = wallStart - o;
      out[1] = wallEnd - o;
      return 1;
    }
    const o1 = this.offset(lo) * MINUTE;
    const o2 = this.offset(T) * MINUTE;
    // Segment before the transition: instants < T read with o1.
    const a1 = wallStart - o1;
    const b1 = Math.min(wallEnd - o1, T);
    if (a1 < b1) {
      out[n++] = a1;
      out[n++] = b1;
    }
    const a2 = Math.max(wallStart - o2, T);
    const b2 = wallEnd - o2;
    if (a2 < b2) {
      out[n++] = a2;
      out[n++] = b2;
    }
    return n / 2;
  }

  /** First instant of local date `day` (local midnight, or the end of a gap that swallows it). */
  startOfDay(day: number): number {
    const out: number[] = [];
    const n = this.dayIntervals(day, 0, DAY, out);
    return n > 0 ? (out[0] as number) : this.instant(day * DAY);
  }
}

const clocks = new Map<string, ZoneClock>();

/** The cached clock of an IANA zone; throws `invalid_input` naming the zone when it is unknown. */
export function zoneClock(name: string): ZoneClock {
  let c = clocks.get(name);
  if (c === undefined) {
    const zone = IANAZone.create(name);
    if (!zone.isValid || name.trim() === '') {
      throw BatonError.invalid([
        {
          path: 'time_zone',
          message: `${JSON.stringify(name)} is not an IANA time zone (for example Europe/Berlin)`,
        },
      ]);
    }
    c = new ZoneClock(name, zone);
    clocks.set(name, c);
  }
  return c;
}

const validity = new Map<string, boolean>();

/** The zone a contact's touches are planned in: the contact's own when valid, else the campaign's. */
export function resolveZone(contactZone: string | null | undefined, campaignZone: string): string {
  if (!contactZone) return campaignZone;
  let ok = validity.get(contactZone);
  if (ok === undefined) {
    ok = contactZone.trim() !== '' && IANAZone.isValidZone(contactZone);
    if (validity.size >= 10_000) validity.clear();
    validity.set(contactZone, ok);
  }
  return ok ? contactZone : campaignZone;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a local day number. 1970-01-01 was a Thursday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}
