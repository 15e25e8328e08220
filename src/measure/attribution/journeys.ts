// Turns timed touches and conversions into attribution paths: each conversion takes the touches of its contact
// inside the lookback window since the previous conversion; touches after the last conversion are a journey that
// has not converted (yet).
import { BatonError } from '../../domain/errors.js';
import type { AttributionPath } from './paths.js';

export interface TimedTouch {
  contactId: string;
  /** What gets the credit: a channel, a campaign, or `campaign/step` — the caller chooses the grain. */
  channel: string;
  at: number;
}

export interface TimedConversion {
  contactId: string;
  at: number;
  value: number;
}

export interface JourneyOptions {
  /** Touches older than this at the conversion do not count (the goal's lookback window). */
  lookbackMs: number;
  /** End of observation (epoch ms): later events are ignored; open journeys end here. */
  asOf: number;
}

export interface Journeys {
  paths: AttributionPath[];
  /** Conversions with no touch in their window: nobody gets credit, but reports should show them. */
  unattributed: { conversions: number; value: number };
}

export function journeysFromEvents(
  touches: readonly TimedTouch[],
  conversions: readonly TimedConversion[],
  options: JourneyOptions,
): Journeys {
  const { lookbackMs, asOf } = options;
  if (!(Number.isFinite(lookbackMs) && lookbackMs > 0)) {
    throw BatonError.invalid([
      { path: 'lookbackMs', message: `must be a positive number, got ${lookbackMs}` },
    ]);
  }
  const byContact = new Map<string, { touches: TimedTouch[]; conversions: TimedConversion[] }>();
  const entry = (id: string) => {
    let e = byContact.get(id);
    if (!e) byContact.set(id, (e = { touches: [], conversions: [] }));
    return e;
  };
  for (const t of touches) if (t.at <= asOf) entry(t.contactId).touches.push(t);
  conversions.forEach((c, i) => {
    if (!(Number.isFinite(c.value) && c.value >= 0)) {
      throw BatonError.invalid([
        { path: `conversions.${i}.value`, message: `must be a non-negative number, got ${c.value}` },
      ]);
    }
    if (c.at <= asOf) entry(c.contactId).conversions.push(c);
  });
  const paths: AttributionPath[] = [];
  const unattributed = { conversions: 0, value: 0 };
  for (const { touches: ts, conversions: cs } of byContact.values()) {
    ts.sort((a, b) => a.at - b.at);
    cs.sort((a, b) => a.at - b.at);
    let next = 0; // first touch not yet used by an earlier conversion
    const journey = (end: number, from: number, to: number): AttributionPath | undefined => {
      const inWindow = ts.slice(from, to).filter((t) => t.at >= end - lookbackMs);
      if (inWindow.length === 0) return undefined;
      return {
        channels: inWindow.map((t) => t.channel),
        touchAgesMs: inWindow.map((t) => end - t.at),
        conversions: 0,
        value: 0,
        nulls: 0,
      };
    };
    for (const c of cs) {
      let to = next;
      while (to < ts.length && ts[to]!.at <= c.at) to++;
      const p = journey(c.at, next, to);
      if (p) paths.push({ ...p, conversions: 1, value: c.value });
      else {
        unattributed.conversions += 1;
        unattributed.value += c.value;
      }
      next = to;
    }
    const open = journey(asOf, next, ts.length);
    if (open) paths.push({ ...open, nulls: 1 });
  }
  return { paths, unattributed };
}
