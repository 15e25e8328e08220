import { describe, expect, it } from 'vitest';
import { arbitrate, type TouchCandidate } from './arbitrate.js';
import { planDueAt } from './due-at.js';
import { parseDelay } from './delay.js';
import { DEFAULT_CAP_POLICY } from './frequency-caps.js';
import { toHolidays } from './holidays.js';
import { placeTouch } from './place-touch.js';

// Local times are written by hand from the IANA tz rules cited in delay.test.ts (New York is on EDT,
// UTC−4, from 2027-03-14).
const utc = (iso: string): number => Date.parse(iso);
const NY = 'America/New_York';

describe('planDueAt', () => {
  const base = {
    campaignZone: NY,
    campaignWindow: { start: utc('2027-03-01T14:00:00Z'), end: utc('2027-03-26T21:00:00Z') },
  };

  it('adds the delay, then waits for the send window in the contact zone', () => {
    // Fri 2027-03-12 16:30 EST + 2h = 18:30, outside 09:00–17:00 → Mon 09:00 EDT.
    expect(planDueAt({ ...base, previousAt: utc('2027-03-12T21:30:00Z'), delay: parseDelay('2h') })).toEqual({
      dueAt: utc('2027-03-15T13:00:00Z'),
    });
    // The contact in Berlin: Fri 22:30 CET + 2h → Mon 09:00 CET.
    expect(
      planDueAt({
        ...base,
        contactZone: 'Europe/Berlin',
        previousAt: utc('2027-03-12T21:30:00Z'),
        delay: parseDelay('2h'),
      }),
    ).toEqual({ dueAt: utc('2027-03-15T08:00:00Z') });
    // An unknown contact zone falls back to the campaign zone.
    expect(
      planDueAt({
        ...base,
        contactZone: 'Nowhere/Land',
        previousAt: utc('2027-03-12T21:30:00Z'),
        delay: parseDelay('2h'),
      }),
    ).toEqual({ dueAt: utc('2027-03-15T13:00:00Z') });
  });

  it('starts no earlier than the campaign and closes at its end', () => {
    expect(planDueAt({ ...base, previousAt: utc('2027-02-01T00:00:00Z'), delay: parseDelay('0d') })).toEqual({
      dueAt: utc('2027-03-01T14:00:00Z'),
    });
    // Fri 2027-03-26 16:00 EDT + 2h → Mon, after the end (Fri 17:00 EDT).
    expect(planDueAt({ ...base, previousAt: utc('2027-03-26T20:00:00Z'), delay: parseDelay('2h') })).toEqual({
      skip: 'window_closed',
    });
  });

  it('honours a per-step window and holidays', () => {
    expect(
      planDueAt({
        ...base,
        previousAt: utc('2027-03-12T15:00:00Z'),
        delay: parseDelay('1bd'),
        sendWindow: { days: [1, 2, 3, 4, 5], start: '13:00', end: '15:00' },
        holidays: toHolidays(['2027-03-15']),
      }),
    ).toEqual({ dueAt: utc('2027-03-16T17:00:00Z') }); // Tue 13:00 EDT (Mon is a holiday)
  });
});

describe('placeTouch', () => {
  const history = [{ at: utc('2027-03-15T14:00:00Z'), channel: 'email', campaignId: 'other' }]; // Mon 10:00 EDT

  it('moves a capped touch to the next allowed slot and reports where it wanted to go', () => {
    expect(
      placeTouch({
        from: utc('2027-03-15T15:00:00Z'),
        channel: 'task',
        zone: NY,
        history,
        policy: DEFAULT_CAP_POLICY,
      }),
    ).toEqual({ at: utc('2027-03-16T13:00:00Z'), wantedAt: utc('2027-03-15T15:00:00Z') });
  });

  it('skips with window_closed only when the allowed slot is past the campaign end', () => {
    const campaignWindow = { start: 0, end: utc('2027-03-16T13:00:00Z') };
    expect(
      placeTouch({
        from: utc('2027-03-15T15:00:00Z'),
        channel: 'task',
        zone: NY,
        history,
        policy: DEFAULT_CAP_POLICY,
        campaignWindow,
      }),
    ).toEqual({ skip: 'window_closed' });
    expect(
      placeTouch({
        from: utc('2027-03-15T15:00:00Z'),
        channel: 'task',
        zone: NY,
        history,
        policy: DEFAULT_CAP_POLICY,
        campaignWindow: { start: 0, end: campaignWindow.end + 1 },
      }),
    ).toEqual({ at: utc('2027-03-16T13:00:00Z'), wantedAt: utc('2027-03-15T15:00:00Z') });
  });

  it('places without caps when there is no policy', () => {
    expect(
      placeTouch({ from: utc('2027-03-15T15:00:00Z'), channel: 'task', zone: NY, history, policy: null }),
    ).toEqual({
      at: utc('2027-03-15T15:00:00Z'),
      wantedAt: utc('2027-03-15T15:00:00Z'),
    });
  });
});

describe('arbitrate', () => {
  const monday9 = utc('2027-03-15T13:00:00Z'); // Mon 09:00 EDT
  const candidate = (id: string, campaignId: string, priority: number, end?: number): TouchCandidate => ({
    id,
    campaignId,
    priority,
    channel: 'email',
    from: monday9,
    campaignWindow: end === undefined ? null : { start: 0, end },
  });

  it('places the higher priority first and defers the other to its next allowed slot', () => {
    const out = arbitrate(
      [candidate('low', 'b', 50), candidate('high', 'a', 80)],
      [],
      DEFAULT_CAP_POLICY,
      NY,
    );
    expect(out.map((o) => [o.candidate.id, o.placement])).toEqual([
      ['high', { at: monday9, wantedAt: monday9 }],
      ['low', { at: utc('2027-03-16T13:00:00Z'), wantedAt: monday9 }],
    ]);
  });

  it('breaks ties by campaign id, whatever the input order', () => {
    const a = arbitrate(
      [candidate('x', 'zeta', 50), candidate('y', 'alpha', 50)],
      [],
      DEFAULT_CAP_POLICY,
      NY,
    );
    const b = arbitrate(
      [candidate('y', 'alpha', 50), candidate('x', 'zeta', 50)],
      [],
      DEFAULT_CAP_POLICY,
      NY,
    );
    expect(a).toEqual(b);
    expect(a[0]?.candidate.campaignId).toBe('alpha');
  });

  it('defers rather than drops; skips only past the campaign end; counts existing history', () => {
    const history = [{ at: monday9, channel: 'sms', campaignId: 'c' }];
    const out = arbitrate(
      [candidate('a1', 'a', 90), candidate('b1', 'b', 10, utc('2027-03-17T13:00:00Z'))],
      history,
      DEFAULT_CAP_POLICY,
      NY,
    );
    // Monday is taken by the history: a1 → Tue 09:00; b1 → Wed 09:00, which is its campaign end → skipped.
    expect(out.map((o) => o.placement)).toEqual([
      { at: utc('2027-03-16T13:00:00Z'), wantedAt: monday9 },
      { skip: 'window_closed' },
    ]);
  });
});
