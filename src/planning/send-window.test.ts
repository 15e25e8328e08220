import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { toHolidays } from './holidays.js';
import {
  checkSendWindow,
  clampToCampaignWindow,
  DEFAULT_SEND_WINDOW,
  inSendWindow,
  nextSlot,
  type SendWindow,
} from './send-window.js';

// Transition instants are written by hand from the IANA tz database rules (see delay.test.ts for the
// rule lines): New York 2027-03-14 07:00Z (02:00 EST → 03:00 EDT) and 2027-11-07 06:00Z (02:00 EDT →
// 01:00 EST); Berlin 2027-03-28 01:00Z and 2027-10-31 01:00Z; Lord Howe 2027-10-02 15:30Z (02:00
// +10:30 → 02:30 +11) and 2027-04-03 15:00Z (02:00 +11 → 01:30 +10:30).
const utc = (iso: string): number => Date.parse(iso);
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const every = (start: string, end: string): SendWindow => ({ days: [1, 2, 3, 4, 5, 6, 7], start, end });

describe('nextSlot', () => {
  it.each([
    // zone, window, from, expected, why
    ['UTC', DEFAULT_SEND_WINDOW, '2027-03-15T10:00:00Z', '2027-03-15T10:00:00Z', 'inside: unchanged'],
    ['UTC', DEFAULT_SEND_WINDOW, '2027-03-15T17:00:00Z', '2027-03-16T09:00:00Z', 'end is exclusive'],
    ['UTC', DEFAULT_SEND_WINDOW, '2027-03-19T18:00:00Z', '2027-03-22T09:00:00Z', 'Friday evening → Monday'],
    ['Europe/Berlin', DEFAULT_SEND_WINDOW, '2027-03-13T23:00:00Z', '2027-03-15T08:00:00Z', 'Mon 09:00 CET'],
    [
      'America/New_York',
      DEFAULT_SEND_WINDOW,
      '2027-03-12T22:30:00Z',
      '2027-03-15T13:00:00Z',
      'Mon 09:00 EDT',
    ],
    ['America/New_York', every('09:00', '17:00'), '2027-03-13T23:00:00Z', '2027-03-14T13:00:00Z', 'DST day'],
    [
      'America/New_York',
      every('02:30', '05:00'),
      '2027-03-14T05:00:00Z',
      '2027-03-14T07:00:00Z',
      'gap: 03:00 EDT',
    ],
    [
      'America/New_York',
      every('02:00', '02:30'),
      '2027-03-14T05:00:00Z',
      '2027-03-15T06:00:00Z',
      'gone: next day',
    ],
    [
      'America/New_York',
      every('01:30', '03:00'),
      '2027-11-07T04:00:00Z',
      '2027-11-07T05:30:00Z',
      '1st 01:30',
    ],
    [
      'America/New_York',
      every('01:00', '01:45'),
      '2027-11-07T05:50:00Z',
      '2027-11-07T06:00:00Z',
      '2nd 01:00',
    ],
    [
      'America/New_York',
      every('01:00', '01:45'),
      '2027-11-07T06:50:00Z',
      '2027-11-08T06:00:00Z',
      'both gone',
    ],
    [
      'Europe/Berlin',
      every('02:15', '04:00'),
      '2027-03-28T00:00:00Z',
      '2027-03-28T01:00:00Z',
      'gap: 03:00 CEST',
    ],
    ['Europe/Berlin', every('02:30', '06:00'), '2027-10-30T23:00:00Z', '2027-10-31T00:30:00Z', '1st 02:30'],
    ['Europe/Berlin', every('02:00', '02:40'), '2027-10-31T00:45:00Z', '2027-10-31T01:00:00Z', '2nd 02:00'],
    ['Australia/Lord_Howe', every('02:10', '05:00'), '2027-10-02T14:00:00Z', '2027-10-02T15:30:00Z', 'gap'],
    ['Australia/Lord_Howe', every('01:45', '03:00'), '2027-04-03T13:00:00Z', '2027-04-03T14:45:00Z', '1st'],
    ['Australia/Lord_Howe', every('01:30', '01:50'), '2027-04-03T14:55:00Z', '2027-04-03T15:00:00Z', '2nd'],
    ['Australia/Lord_Howe', DEFAULT_SEND_WINDOW, '2027-10-01T08:00:00Z', '2027-10-03T22:00:00Z', 'Mon +11'],
  ])('%s %j from %s → %s (%s)', (zone, window, from, expected) => {
    expect(iso(nextSlot(utc(from), window, zone))).toBe(iso(utc(expected)));
  });

  it('skips holidays, read as dates in the contact zone', () => {
    const holidays = toHolidays(['2027-03-15']);
    // Monday 2027-03-15 is a holiday in Berlin → Tuesday 09:00 CET.
    expect(iso(nextSlot(utc('2027-03-15T09:00:00Z'), DEFAULT_SEND_WINDOW, 'Europe/Berlin', holidays))).toBe(
      '2027-03-16T08:00:00.000Z',
    );
    // The same instant is still Sunday evening in Los Angeles: its Monday is the holiday → Tuesday.
    expect(
      iso(nextSlot(utc('2027-03-15T03:00:00Z'), DEFAULT_SEND_WINDOW, 'America/Los_Angeles', holidays)),
    ).toBe('2027-03-16T16:00:00.000Z');
  });

  it('returns null when no slot comes before the limit', () => {
    const from = utc('2027-03-19T18:00:00Z'); // Friday 18:00 UTC
    expect(nextSlot(from, DEFAULT_SEND_WINDOW, 'UTC', undefined, utc('2027-03-22T09:00:00Z'))).toBeNull();
    expect(iso(nextSlot(from, DEFAULT_SEND_WINDOW, 'UTC', undefined, utc('2027-03-22T09:00:01Z')))).toBe(
      '2027-03-22T09:00:00.000Z',
    );
  });

  it('accepts 24:00 as the end of the day', () => {
    const w: SendWindow = { days: [6], start: '20:00', end: '24:00' };
    expect(iso(nextSlot(utc('2027-03-20T23:59:00Z'), w, 'UTC'))).toBe('2027-03-20T23:59:00.000Z');
    expect(iso(nextSlot(utc('2027-03-21T00:00:00Z'), w, 'UTC'))).toBe('2027-03-27T20:00:00.000Z');
  });
});

describe('inSendWindow', () => {
  it('reads the wall clock of the zone', () => {
    expect(inSendWindow(utc('2027-03-15T08:30:00Z'), DEFAULT_SEND_WINDOW, 'Europe/Berlin')).toBe(true);
    expect(inSendWindow(utc('2027-03-15T08:30:00Z'), DEFAULT_SEND_WINDOW, 'America/New_York')).toBe(false);
    expect(inSendWindow(utc('2027-03-15T08:30:00Z'), DEFAULT_SEND_WINDOW, 'UTC')).toBe(false);
  });
});

describe('send window validation', () => {
  it.each([
    [{ days: [], start: '09:00', end: '17:00' }, 'send_window.days'],
    [{ days: [0], start: '09:00', end: '17:00' }, 'send_window.days.0'],
    [{ days: [1], start: '9:00', end: '17:00' }, 'send_window.start'],
    [{ days: [1], start: '17:00', end: '09:00' }, 'send_window.end'],
    [{ days: [1], start: '09:00', end: '24:30' }, 'send_window.end'],
  ])('%j is rejected at %s', (window, path) => {
    let error: unknown;
    try {
      checkSendWindow(window);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).message.startsWith(path + ':')).toBe(true);
  });
});

describe('clampToCampaignWindow', () => {
  const campaign = { start: utc('2027-01-12T14:00:00Z'), end: utc('2027-02-23T22:00:00Z') };
  it('moves a time before the start to the start, and closes at the end', () => {
    expect(clampToCampaignWindow(utc('2027-01-01T00:00:00Z'), campaign)).toBe(campaign.start);
    expect(clampToCampaignWindow(utc('2027-02-01T00:00:00Z'), campaign)).toBe(utc('2027-02-01T00:00:00Z'));
    expect(clampToCampaignWindow(campaign.end - 1, campaign)).toBe(campaign.end - 1);
    expect(clampToCampaignWindow(campaign.end, campaign)).toBeNull();
    expect(clampToCampaignWindow(campaign.end + 1, { start: campaign.start, end: null })).toBe(
      campaign.end + 1,
    );
  });
});
