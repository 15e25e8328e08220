import { describe, expect, it } from 'vitest';
import { BatonError } from '../domain/errors.js';
import { addDelay, delaySchema, formatDelay, parseDelay } from './delay.js';
import { toHolidays } from './holidays.js';

// Expected instants below are written by hand from the IANA tz database rules (tzdata 2024+):
// - northamerica: `Rule US 2007 max - Mar Sun>=8 2:00 1:00 D` / `Rule US 2007 max - Nov Sun>=1 2:00 0 S`,
//   `Zone America/New_York ... -5:00 US E%sT`: 2027-03-14 02:00 EST → 03:00 EDT (07:00Z);
//   2027-11-07 02:00 EDT → 01:00 EST (06:00Z).
// - europe: `Rule EU 1981 max - Mar lastSun 1:00u 1:00 S` / `Rule EU 1996 max - Oct lastSun 1:00u 0 -`,
//   `Zone Europe/Berlin ... 1:00 EU CE%sT`: 2027-03-28 01:00Z (02:00 CET → 03:00 CEST);
//   2027-10-31 01:00Z (03:00 CEST → 02:00 CET).
// - australasia: `Rule LH 2008 max - Apr Sun>=1 2:00 0 -` / `Rule LH 2008 max - Oct Sun>=1 2:00 0:30 -`,
//   `Zone Australia/Lord_Howe ... 10:30 LH +1030/+11`: 2027-10-03 02:00 +10:30 → 02:30 +11 (2027-10-02
//   15:30Z); 2027-04-04 02:00 +11 → 01:30 +10:30 (2027-04-03 15:00Z).
const utc = (iso: string): number => Date.parse(iso);

describe('parseDelay', () => {
  it.each([
    ['0d', { amount: 0, unit: 'days' }],
    ['30m', { amount: 30, unit: 'minutes' }],
    ['2h', { amount: 2, unit: 'hours' }],
    ['1.5h', { amount: 1.5, unit: 'hours' }],
    ['3bd', { amount: 3, unit: 'business_days' }],
    ['1w', { amount: 7, unit: 'days' }],
    ['1.5d', { amount: 2160, unit: 'minutes' }],
    [' 2D ', { amount: 2, unit: 'days' }],
  ])('%j → %j', (text, delay) => {
    expect(parseDelay(text)).toEqual(delay);
  });

  it.each([
    ['-1d', 'negative'],
    ['3x', 'is not a delay'],
    ['', 'is not a delay'],
    ['d', 'is not a delay'],
    ['1.5bd', 'whole number of business days'],
    ['99999w', 'too long'],
  ])('rejects %j (%s) with an invalid_input error naming the value', (text, why) => {
    let error: unknown;
    try {
      parseDelay(text, 'sequence.2.delay');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('invalid_input');
    expect((error as BatonError).message).toContain(JSON.stringify(text));
    expect((error as BatonError).message).toContain(why);
    expect((error as BatonError).message.startsWith('sequence.2.delay:')).toBe(true);
  });

  it('round-trips through formatDelay', () => {
    for (const t of ['0d', '30m', '2h', '3bd', '7d']) expect(formatDelay(parseDelay(t))).toBe(t);
  });

  it('is available as a zod schema that reports the reason', () => {
    expect(delaySchema.parse('3bd')).toEqual({ amount: 3, unit: 'business_days' });
    const bad = delaySchema.safeParse('-2h');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('negative');
  });
});

describe('addDelay', () => {
  it.each([
    // zone, from, delay, expected, why
    ['UTC', '2027-03-01T10:00:00Z', '30m', '2027-03-01T10:30:00Z', 'minutes are elapsed time'],
    ['America/New_York', '2027-03-14T06:30:00Z', '1h', '2027-03-14T07:30:00Z', '01:30 EST + 1h = 03:30 EDT'],
    [
      'America/New_York',
      '2027-03-13T15:00:00Z',
      '1d',
      '2027-03-14T14:00:00Z',
      'Sat 10:00 EST → Sun 10:00 EDT (23h)',
    ],
    [
      'America/New_York',
      '2027-03-13T07:30:00Z',
      '1d',
      '2027-03-14T07:30:00Z',
      '02:30 is skipped → 03:30 EDT',
    ],
    [
      'America/New_York',
      '2027-11-06T14:00:00Z',
      '1d',
      '2027-11-07T15:00:00Z',
      'Sat 10:00 EDT → Sun 10:00 EST (25h)',
    ],
    ['America/New_York', '2027-11-06T05:30:00Z', '1d', '2027-11-07T05:30:00Z', '01:30 repeats → first, EDT'],
    ['Europe/Berlin', '2027-03-27T08:00:00Z', '1d', '2027-03-28T07:00:00Z', '09:00 CET → 09:00 CEST'],
    ['Europe/Berlin', '2027-03-27T01:30:00Z', '1d', '2027-03-28T01:30:00Z', '02:30 is skipped → 03:30 CEST'],
    ['Europe/Berlin', '2027-10-29T07:00:00Z', '1w', '2027-11-05T08:00:00Z', 'Fri 09:00 CEST → Fri 09:00 CET'],
    ['Europe/Berlin', '2027-10-30T00:30:00Z', '1d', '2027-10-31T00:30:00Z', '02:30 repeats → first, CEST'],
    [
      'Australia/Lord_Howe',
      '2027-10-01T22:30:00Z',
      '1d',
      '2027-10-02T22:00:00Z',
      '09:00 +10:30 → 09:00 +11 (23.5h)',
    ],
    [
      'Australia/Lord_Howe',
      '2027-10-01T15:45:00Z',
      '1d',
      '2027-10-02T15:45:00Z',
      '02:15 is skipped → 02:45 +11',
    ],
    [
      'Australia/Lord_Howe',
      '2027-04-02T14:45:00Z',
      '1d',
      '2027-04-03T14:45:00Z',
      '01:45 repeats → first, +11',
    ],
    [
      'Australia/Lord_Howe',
      '2027-04-02T22:00:00Z',
      '1d',
      '2027-04-03T22:30:00Z',
      '09:00 +11 → 09:00 +10:30 (24.5h)',
    ],
    [
      'America/New_York',
      '2027-03-12T15:00:00Z',
      '3bd',
      '2027-03-17T14:00:00Z',
      'Fri 10:00 EST → Wed 10:00 EDT',
    ],
    ['Europe/Berlin', '2027-03-13T10:00:00Z', '1bd', '2027-03-15T10:00:00Z', 'Sat 11:00 → Mon 11:00'],
    ['Europe/Berlin', '2027-03-15T10:00:00Z', '0bd', '2027-03-15T10:00:00Z', 'zero moves nothing'],
    ['Europe/Berlin', '2027-03-15T10:00:00Z', '5bd', '2027-03-22T10:00:00Z', 'five business days is a week'],
  ])('%s: %s + %s = %s (%s)', (zone, from, delay, expected) => {
    expect(new Date(addDelay(utc(from), parseDelay(delay), zone)).toISOString()).toBe(
      new Date(utc(expected)).toISOString(),
    );
  });

  it('skips workspace holidays, read as dates in the contact zone', () => {
    // Fri 2027-12-24 10:00 CET; Mon 27 is a holiday → 1bd is Tue 28 10:00 CET.
    const holidays = toHolidays(['2027-12-27']);
    const at = addDelay(utc('2027-12-24T09:00:00Z'), parseDelay('1bd'), 'Europe/Berlin', holidays);
    expect(new Date(at).toISOString()).toBe('2027-12-28T09:00:00.000Z');
    // In Lord Howe it is already Fri 24 20:00 local: the next business days are Tue 28, then Wed 29.
    const lh = addDelay(utc('2027-12-24T09:00:00Z'), parseDelay('2bd'), 'Australia/Lord_Howe', holidays);
    expect(new Date(lh).toISOString()).toBe('2027-12-29T09:00:00.000Z');
  });

  it('rejects an unknown zone naming it', () => {
    expect(() => addDelay(0, parseDelay('1d'), 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
  });
});
