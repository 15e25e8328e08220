import { describe, expect, it } from 'vitest';
import { DAY_MS } from './heuristics.js';
import { journeysFromEvents } from './journeys.js';

const day = (d: number): number => Date.UTC(2027, 0, 1) + d * DAY_MS;

describe('journeysFromEvents', () => {
  it('cuts each contact’s touches at conversions, inside the lookback window, with touch ages', () => {
    const { paths, unattributed } = journeysFromEvents(
      [
        { contactId: 'c1', channel: 'email', at: day(0) },
        { contactId: 'c1', channel: 'ads', at: day(20) },
        { contactId: 'c1', channel: 'email', at: day(25) },
        { contactId: 'c1', channel: 'webinar', at: day(31) },
        { contactId: 'c2', channel: 'ads', at: day(3) },
        { contactId: 'c2', channel: 'ads', at: day(99) }, // after asOf: ignored
      ],
      [
        { contactId: 'c1', at: day(30), value: 100 },
        { contactId: 'c3', at: day(5), value: 7 }, // no touches at all
      ],
      { lookbackMs: 14 * DAY_MS, asOf: day(40) },
    );
    expect(paths).toEqual([
      // email on day 0 is older than 14 days at the day-30 conversion.
      {
        channels: ['ads', 'email'],
        touchAgesMs: [10 * DAY_MS, 5 * DAY_MS],
        conversions: 1,
        value: 100,
        nulls: 0,
      },
      { channels: ['webinar'], touchAgesMs: [9 * DAY_MS], conversions: 0, value: 0, nulls: 1 },
    ]);
    expect(unattributed).toEqual({ conversions: 1, value: 7 });
  });

  it('counts a touch at the same moment as the conversion, and gives each conversion only the touches since the last', () => {
    const { paths } = journeysFromEvents(
      [
        { contactId: 'c', channel: 'a', at: day(1) },
        { contactId: 'c', channel: 'b', at: day(2) },
      ],
      [
        { contactId: 'c', at: day(1), value: 1 },
        { contactId: 'c', at: day(3), value: 2 },
        { contactId: 'c', at: day(4), value: 4 },
      ],
      { lookbackMs: 30 * DAY_MS, asOf: day(10) },
    );
    expect(paths.map((p) => [p.channels, p.value])).toEqual([
      [['a'], 1],
      [['b'], 2],
    ]);
  });

  it('rejects a non-positive lookback and negative values', () => {
    expect(() => journeysFromEvents([], [], { lookbackMs: 0, asOf: 0 })).toThrow(/lookbackMs/);
    expect(() =>
      journeysFromEvents([], [{ contactId: 'c', at: 0, value: -1 }], { lookbackMs: 1, asOf: 0 }),
    ).toThrow(/conversions\.0\.value/);
  });
});
