import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { DAY, HOUR, resolveZone, zoneClock } from './zone-clock.js';

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'America/St_Johns',
  'UTC',
];

describe('zoneClock', () => {
  it("gives luxon's offset at any instant from 1850 to 2100, local mean time included", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (zone, t) => {
          expect(zoneClock(zone).offset(t)).toBe(IANAZone.create(zone).offset(t));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds the exact millisecond of a transition inside a cached hour', () => {
    // Lord Howe, 2027-10-03 02:00 +10:30 = 2027-10-02 15:30Z (tz rule `LH 2008 max Oct Sun>=1 2:00 0:30`).
    const c = zoneClock('Australia/Lord_Howe');
    const at = Date.parse('2027-10-02T15:30:00Z');
    expect(c.offset(at - 1)).toBe(630);
    expect(c.offset(at)).toBe(660);
    expect(c.transitionIn(at - 5 * HOUR, at + 5 * HOUR)).toBe(at);
  });

  it('reads every existing wall time back to the same instant, and gap times forward by the gap', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        (zone, t) => {
          const c = zoneClock(zone);
          const wall = c.local(t);
          const back = c.instant(wall);
          // Either t itself or, in a fall-back overlap, the earlier occurrence of the same wall time.
          expect(c.local(back)).toBe(wall);
          expect(back <= t && t - back <= HOUR).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    // New York 2027-03-14 02:30 does not exist: 03:30 EDT (07:30Z).
    expect(zoneClock('America/New_York').instant(Date.UTC(2027, 2, 14, 2, 30))).toBe(
      Date.parse('2027-03-14T07:30:00Z'),
    );
  });

  it('starts a 23-hour day and a 25-hour day at local midnight', () => {
    const c = zoneClock('America/New_York');
    const mar14 = Date.UTC(2027, 2, 14) / DAY;
    expect(c.startOfDay(mar14 + 1) - c.startOfDay(mar14)).toBe(23 * HOUR);
    const nov7 = Date.UTC(2027, 10, 7) / DAY;
    expect(c.startOfDay(nov7 + 1) - c.startOfDay(nov7)).toBe(25 * HOUR);
  });

  it('rejects unknown zones and falls back to the campaign zone for contacts', () => {
    expect(() => zoneClock('Europe/Atlantis')).toThrow(BatonError);
    expect(resolveZone('Europe/Atlantis', 'UTC')).toBe('UTC');
    expect(resolveZone(null, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(resolveZone('Asia/Tokyo', 'UTC')).toBe('Asia/Tokyo');
  });
});
