// Property tests: the planner against a brute-force search on a one-minute grid, read through an
// independent wall-clock oracle (luxon's IANAZone offsets, memoised per hour only where no offset
// change falls inside the hour). Every input is on the minute grid, and so is every boundary (window
// edges, zone transitions, caps), so the earliest allowed instant is on the grid too: the brute force
// is exact, not an approximation.
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { arbitrate, type TouchCandidate } from './arbitrate.js';
import type { CapPolicy, TouchRecord } from './frequency-caps.js';
import { NO_HOLIDAYS, type Holidays } from './holidays.js';
import { placeTouch } from './place-touch.js';
import { nextSlot, type CampaignWindow, type SendWindow } from './send-window.js';

const MIN = 60_000;
// The brute force is deliberate work; leave room for a loaded machine.
const PROPERTY_TIMEOUT = 120_000;
const DAY = 86_400_000;

class Oracle {
  private readonly zone: IANAZone;
  private readonly hours = new Map<number, number | null>();

  constructor(name: string) {
    this.zone = IANAZone.create(name);
  }

  private offset(t: number): number {
    const h = Math.floor(t / 3_600_000);
    let v = this.hours.get(h);
    if (v === undefined) {
      const a = this.zone.offset(h * 3_600_000);
      const b = this.zone.offset(h * 3_600_000 + 3_599_999);
      v = a === b ? a : null;
      this.hours.set(h, v);
    }
    return v ?? this.zone.offset(t);
  }

  /** Local calendar date (days since 1970-01-01), ISO weekday and minute of the day of instant t. */
  parts(t: number): { day: number; weekday: number; minute: number } {
    const local = t + this.offset(t) * MIN;
    const day = Math.floor(local / DAY);
    const dow = new Date(day * DAY).getUTCDay();
    return { day, weekday: dow === 0 ? 7 : dow, minute: Math.floor((local - day * DAY) / MIN) };
  }

  /** A test for "t is inside the send window on an open day" (window parsed once). */
  window(w: SendWindow, holidays: Holidays): (t: number) => boolean {
    const [sh, sm] = w.start.split(':').map(Number) as [number, number];
    const [eh, em] = w.end.split(':').map(Number) as [number, number];
    const [start, end] = [sh * 60 + sm, eh * 60 + em];
    const days = new Set(w.days);
    return (t) => {
      const p = this.parts(t);
      if (!days.has(p.weekday) || p.minute < start || p.minute >= end) return false;
      return !holidays.has(new Date(p.day * DAY).toISOString().slice(0, 10));
    };
  }

  inWindow(t: number, w: SendWindow, holidays: Holidays): boolean {
    return this.window(w, holidays)(t);
  }

  /** A test for "a touch at t on channel keeps every cap, given the other touches". */
  caps(channel: string, others: readonly TouchRecord[], policy: CapPolicy): (t: number) => boolean {
    const exempt = new Set(policy.exemptChannels ?? []);
    if (exempt.has(channel)) return () => true;
    const counted = others.filter((o) => !exempt.has(o.channel));
    const days = counted.map((o) => this.parts(o.at).day);
    const times = counted.map((o) => o.at);
    const gap = policy.minGapByChannel[channel] ?? 0;
    const sameChannel = counted.filter((o) => o.channel === channel).map((o) => o.at);
    return (t) => {
      const day = this.parts(t).day;
      if (days.filter((d) => d === day).length + 1 > policy.perDay) return false;
      const all = [...times, t];
      // The fullest 7-day window containing t starts at one of the touches in (t − 7d, t].
      for (const s of all) {
        if (
          s > t - 7 * DAY &&
          s <= t &&
          all.filter((x) => x >= s && x < s + 7 * DAY).length > policy.perRolling7Days
        ) {
          return false;
        }
      }
      return sameChannel.every((h) => Math.abs(h - t) >= gap);
    };
  }

  capsHold(t: number, channel: string, others: readonly TouchRecord[], policy: CapPolicy): boolean {
    return this.caps(channel, others, policy)(t);
  }
}

const oracles = new Map<string, Oracle>();
const oracle = (zone: string): Oracle => {
  let o = oracles.get(zone);
  if (!o) oracles.set(zone, (o = new Oracle(zone)));
  return o;
};

// Transition instants from the IANA tz rules (see delay.test.ts for the rule lines), plus a quiet day.
const ANCHORS: Record<string, number[]> = {
  'America/New_York': [Date.parse('2027-03-14T07:00:00Z'), Date.parse('2027-11-07T06:00:00Z')],
  'Europe/Berlin': [Date.parse('2027-03-28T01:00:00Z'), Date.parse('2027-10-31T01:00:00Z')],
  'Australia/Lord_Howe': [Date.parse('2027-10-02T15:30:00Z'), Date.parse('2027-04-03T15:00:00Z')],
  'Asia/Kathmandu': [Date.parse('2027-06-01T00:00:00Z')],
  UTC: [Date.parse('2027-03-14T00:00:00Z')],
};
const ZONES = Object.keys(ANCHORS);

const hhmm = (m: number): string =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const anyWindowArb: fc.Arbitrary<SendWindow> = fc
  .record({
    days: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
    start: fc.integer({ min: 0, max: 143 }).map((x) => x * 10),
    length: fc.integer({ min: 1, max: 144 }).map((x) => x * 10),
  })
  .map(({ days, start, length }) => ({
    days,
    start: hhmm(start),
    end: hhmm(Math.min(1440, start + length)),
  }));

// Short windows in the small hours, where the transitions of these zones happen (gaps and repeats).
const smallHoursWindowArb: fc.Arbitrary<SendWindow> = fc
  .record({
    start: fc.integer({ min: 0, max: 48 }).map((x) => x * 5),
    length: fc.integer({ min: 1, max: 24 }).map((x) => x * 5),
  })
  .map(({ start, length }) => ({
    days: [1, 2, 3, 4, 5, 6, 7],
    start: hhmm(start),
    end: hhmm(start + length),
  }));

const windowArb = fc.oneof(anyWindowArb, smallHoursWindowArb);

/** A zone, an anchor instant near one of its transitions (minute grid) and holidays near it. */
const sceneArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    which: fc.nat(),
    shift: fc.oneof(fc.integer({ min: -3 * 1440, max: 3 * 1440 }), fc.integer({ min: -240, max: 240 })),
    holidayOffsets: fc.uniqueArray(fc.integer({ min: -3, max: 10 }), { maxLength: 3 }),
  })
  .map(({ zone, which, shift, holidayOffsets }) => {
    const anchors = ANCHORS[zone] as number[];
    const anchor = anchors[which % anchors.length] as number;
    const from = anchor + shift * MIN;
    const holidays = new Set(
      holidayOffsets.map((d) => new Date(anchor + d * DAY).toISOString().slice(0, 10)),
    );
    return { zone, from, holidays: holidays as Holidays };
  });

const CHANNELS = ['email', 'sms', 'task', 'ads'];

const policyArb: fc.Arbitrary<CapPolicy> = fc.record({
  perDay: fc.integer({ min: 1, max: 3 }),
  perRolling7Days: fc.integer({ min: 1, max: 5 }),
  minGapByChannel: fc.record({
    email: fc.integer({ min: 0, max: 3 * 1440 }).map((m) => m * MIN),
    sms: fc.integer({ min: 0, max: 1440 }).map((m) => m * MIN),
  }),
  dayBoundary: fc.constant('contact_local' as const),
  exemptChannels: fc.constantFrom([], ['ads']),
});

const historyArb = (from: number): fc.Arbitrary<TouchRecord[]> =>
  fc.array(
    fc.record({
      at: fc.integer({ min: -4 * 1440, max: 6 * 1440 }).map((m) => from + m * MIN),
      channel: fc.constantFrom(...CHANNELS),
      campaignId: fc.constantFrom('a', 'b', 'c'),
    }),
    { maxLength: 8 },
  );

const campaignArb = (from: number): fc.Arbitrary<CampaignWindow> =>
  fc
    .record({
      start: fc.integer({ min: -1440, max: 2 * 1440 }).map((m) => from + m * MIN),
      length: fc.option(fc.integer({ min: 60, max: 10 * 1440 }), { nil: null }),
    })
    .map(({ start, length }) => ({ start, end: length === null ? null : start + length * MIN }));

/** The first minute in [from, limit) where ok holds, or null. */
function firstMinute(from: number, limit: number, ok: (t: number) => boolean): number | null {
  for (let t = from; t < limit; t += MIN) if (ok(t)) return t;
  return null;
}

describe('the oracle', () => {
  it("agrees with luxon's DateTime around transitions", () => {
    for (const zone of ZONES) {
      for (const anchor of ANCHORS[zone] as number[]) {
        for (let t = anchor - 3 * 3_600_000; t < anchor + 3 * 3_600_000; t += 7 * MIN) {
          const dt = DateTime.fromMillis(t, { zone });
          const p = oracle(zone).parts(t);
          expect({ ...p, date: new Date(p.day * DAY).toISOString().slice(0, 10) }).toEqual({
            day: p.day,
            date: dt.toISODate(),
            weekday: dt.weekday,
            minute: dt.hour * 60 + dt.minute,
          });
        }
      }
    }
  });
});

describe('nextSlot (property)', () => {
  it(
    'is the earliest minute inside the send window, in DST-heavy zones',
    () => {
      fc.assert(
        fc.property(sceneArb, windowArb, ({ zone, from, holidays }, window) => {
          const o = oracle(zone);
          const got = nextSlot(from, window, zone, holidays);
          // One open weekday and three holidays on it leave a slot within four weeks.
          const want = firstMinute(from, from + 29 * DAY, o.window(window, holidays));
          expect(got).toBe(want);
        }),
        { numRuns: 300 },
      );
    },
    PROPERTY_TIMEOUT,
  );
  it(
    'is exact in the hours around a transition (gaps, and windows that repeat in the fall-back hour)',
    () => {
      const nearTransition = fc.record({
        zone: fc.constantFrom('America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'),
        which: fc.nat(),
        shift: fc.integer({ min: -180, max: 180 }),
      });
      fc.assert(
        fc.property(nearTransition, smallHoursWindowArb, ({ zone, which, shift }, window) => {
          const anchors = ANCHORS[zone] as number[];
          const from = (anchors[which % anchors.length] as number) + shift * MIN;
          const o = oracle(zone);
          expect(nextSlot(from, window, zone)).toBe(
            firstMinute(from, from + 3 * DAY, o.window(window, NO_HOLIDAYS)),
          );
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe('placeTouch (property)', () => {
  it(
    'never breaks a cap, the send window or the campaign window, and is the earliest such minute',
    () => {
      const input = sceneArb.chain((scene) =>
        fc.record({
          scene: fc.constant(scene),
          window: windowArb,
          policy: policyArb,
          history: historyArb(scene.from),
          campaign: campaignArb(scene.from),
          channel: fc.constantFrom(...CHANNELS),
        }),
      );
      fc.assert(
        fc.property(input, ({ scene, window, policy, history, campaign, channel }) => {
          const { zone, from, holidays } = scene;
          const o = oracle(zone);
          const inWindow = o.window(window, holidays);
          const capsHold = o.caps(channel, history, policy);
          const allowed = (t: number): boolean =>
            t >= campaign.start && (campaign.end === null || t < campaign.end) && inWindow(t) && capsHold(t);
          const placed = placeTouch({
            from,
            channel,
            zone,
            sendWindow: window,
            holidays,
            campaignWindow: campaign,
            history,
            policy,
          });
          const start = Math.max(from, campaign.start);
          if ('skip' in placed) {
            expect(campaign.end).not.toBeNull();
            expect(firstMinute(start, campaign.end as number, allowed)).toBeNull();
          } else {
            expect(allowed(placed.at)).toBe(true);
            expect(firstMinute(start, placed.at, allowed)).toBeNull();
            expect(placed.wantedAt).toBe(firstMinute(start, placed.at + MIN, inWindow));
          }
        }),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describe('arbitrate (property)', () => {
  it(
    'places every candidate it can, in priority order, and the result keeps every cap',
    () => {
      const input = sceneArb.chain((scene) =>
        fc.record({
          scene: fc.constant(scene),
          window: windowArb,
          policy: policyArb,
          history: historyArb(scene.from),
          candidates: fc.uniqueArray(
            fc.record({
              campaignId: fc.constantFrom('a', 'b', 'c', 'd'),
              priority: fc.integer({ min: 0, max: 3 }),
              channel: fc.constantFrom(...CHANNELS),
              shift: fc.integer({ min: 0, max: 1440 }),
              campaign: campaignArb(scene.from),
            }),
            { minLength: 1, maxLength: 4, selector: (c) => c.campaignId },
          ),
        }),
      );
      fc.assert(
        fc.property(input, ({ scene, window, policy, history, candidates }) => {
          const { zone, from, holidays } = scene;
          const o = oracle(zone);
          const cands: TouchCandidate[] = candidates.map((c) => ({
            id: c.campaignId + '-1',
            campaignId: c.campaignId,
            priority: c.priority,
            channel: c.channel,
            from: from + c.shift * MIN,
            sendWindow: window,
            campaignWindow: c.campaign,
          }));
          const out = arbitrate(cands, history, policy, zone, holidays);
          expect(out).toHaveLength(cands.length);
          for (let i = 1; i < out.length; i++) {
            const [a, b] = [out[i - 1]!.candidate, out[i]!.candidate];
            expect(
              a.priority > b.priority || (a.priority === b.priority && a.campaignId < b.campaignId),
            ).toBe(true);
          }
          const placed: TouchRecord[] = out.flatMap((r) =>
            'at' in r.placement
              ? [{ at: r.placement.at, channel: r.candidate.channel, campaignId: r.candidate.campaignId }]
              : [],
          );
          // Every placed touch keeps the caps against the history and all the other placed touches.
          for (const p of placed) {
            const others = [...history, ...placed.filter((q) => q !== p)];
            expect(o.capsHold(p.at, p.channel, others, policy)).toBe(true);
            expect(o.inWindow(p.at, window, holidays)).toBe(true);
          }
          // Each candidate got the earliest slot left by the history and the higher-priority ones.
          const before: TouchRecord[] = [...history];
          for (const r of out) {
            const c = r.candidate;
            const w = c.campaignWindow as CampaignWindow;
            const ok = (t: number): boolean =>
              t >= w.start &&
              (w.end === null || t < w.end) &&
              o.inWindow(t, window, holidays) &&
              o.capsHold(t, c.channel, before, policy);
            const start = Math.max(c.from, w.start);
            if ('skip' in r.placement) {
              expect(w.end).not.toBeNull();
              expect(firstMinute(start, w.end as number, ok)).toBeNull();
            } else {
              expect(firstMinute(start, r.placement.at + MIN, ok)).toBe(r.placement.at);
              before.push({ at: r.placement.at, channel: c.channel, campaignId: c.campaignId });
            }
          }
        }),
        { numRuns: 50 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});
