import { describe, expect, it } from 'vitest';
import {
  capPolicyFromSettings,
  capPolicySchema,
  checkCaps,
  DEFAULT_CAP_POLICY,
  type CapPolicy,
  type TouchRecord,
} from './frequency-caps.js';

// Local midnights are written by hand from the IANA tz rules cited in delay.test.ts.
const utc = (iso: string): number => Date.parse(iso);
const touch = (at: string, channel = 'email', campaignId = 'c1'): TouchRecord => ({
  at: utc(at),
  channel,
  campaignId,
});
const policy = (p: Partial<CapPolicy>): CapPolicy => ({ ...DEFAULT_CAP_POLICY, ...p });

describe('checkCaps', () => {
  it('allows a touch when nothing else is near', () => {
    expect(
      checkCaps([], { at: utc('2027-03-15T14:00:00Z'), channel: 'email' }, DEFAULT_CAP_POLICY, 'UTC'),
    ).toEqual({
      ok: true,
    });
  });

  it('counts the day in the contact zone', () => {
    const history = [touch('2027-03-15T23:30:00Z')]; // Mon 19:30 EDT, Mon 23:30 UTC
    const candidate = { at: utc('2027-03-16T03:00:00Z'), channel: 'email' }; // Mon 23:00 EDT, Tue 03:00 UTC
    expect(checkCaps(history, candidate, DEFAULT_CAP_POLICY, 'America/New_York')).toEqual({
      ok: false,
      reason: 'per_day',
      nextAllowedAt: utc('2027-03-16T04:00:00Z'), // Tue 00:00 EDT
    });
    expect(checkCaps(history, candidate, DEFAULT_CAP_POLICY, 'UTC')).toEqual({ ok: true });
  });

  it('moves to the next local midnight on DST days', () => {
    // New York, Sunday 2027-03-14 (23 hours long): next midnight is Mon 00:00 EDT = 04:00Z.
    expect(
      checkCaps(
        [touch('2027-03-14T16:00:00Z')],
        { at: utc('2027-03-14T20:00:00Z'), channel: 'sms' },
        DEFAULT_CAP_POLICY,
        'America/New_York',
      ),
    ).toEqual({ ok: false, reason: 'per_day', nextAllowedAt: utc('2027-03-15T04:00:00Z') });
    // Lord Howe, Sunday 2027-10-03 (23.5 hours long): Mon 00:00 +11 = Sun 13:00Z.
    expect(
      checkCaps(
        [touch('2027-10-02T23:00:00Z')],
        { at: utc('2027-10-03T01:00:00Z'), channel: 'sms' },
        DEFAULT_CAP_POLICY,
        'Australia/Lord_Howe',
      ),
    ).toEqual({ ok: false, reason: 'per_day', nextAllowedAt: utc('2027-10-03T13:00:00Z') });
    // Lord Howe, Sunday 2027-04-04 (24.5 hours long): Mon 00:00 +10:30 = Sun 13:30Z.
    expect(
      checkCaps(
        [touch('2027-04-03T14:00:00Z')],
        { at: utc('2027-04-04T01:00:00Z'), channel: 'sms' },
        DEFAULT_CAP_POLICY,
        'Australia/Lord_Howe',
      ),
    ).toEqual({ ok: false, reason: 'per_day', nextAllowedAt: utc('2027-04-04T13:30:00Z') });
  });

  it('holds any 7-day window to the rolling cap, counting planned touches after the candidate', () => {
    const p = policy({ perDay: 5, perRolling7Days: 3 });
    const past = [
      touch('2027-03-01T10:00:00Z'),
      touch('2027-03-03T10:00:00Z'),
      touch('2027-03-05T10:00:00Z'),
    ];
    // Mar 1, 3, 5 fill [Mar 1 10:00, Mar 8 10:00); Mar 8 10:00 starts a window without Mar 1.
    expect(checkCaps(past, { at: utc('2027-03-06T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: false,
      reason: 'per_7_days',
      nextAllowedAt: utc('2027-03-08T10:00:00Z'),
    });
    expect(checkCaps(past, { at: utc('2027-03-08T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: true,
    });
    const planned = [
      touch('2027-03-03T10:00:00Z'),
      touch('2027-03-05T10:00:00Z'),
      touch('2027-03-07T10:00:00Z'),
    ];
    // Feb 28 10:00 is fine (its window ends before Mar 7 10:00), Mar 1 is not: the first free instant
    // after it is Mar 10 10:00, seven days after Mar 3.
    expect(checkCaps(planned, { at: utc('2027-02-28T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: true,
    });
    expect(checkCaps(planned, { at: utc('2027-03-01T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: false,
      reason: 'per_7_days',
      nextAllowedAt: utc('2027-03-10T10:00:00Z'),
    });
  });

  it('keeps the minimum gap per channel on both sides', () => {
    const p = policy({ perDay: 5, perRolling7Days: 10, minGapByChannel: { email: 48 * 3_600_000 } });
    const history = [touch('2027-03-01T10:00:00Z')];
    expect(checkCaps(history, { at: utc('2027-03-02T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: false,
      reason: 'min_gap',
      nextAllowedAt: utc('2027-03-03T10:00:00Z'),
    });
    expect(checkCaps(history, { at: utc('2027-02-28T12:00:00Z'), channel: 'email' }, p, 'UTC')).toMatchObject(
      {
        ok: false,
        nextAllowedAt: utc('2027-03-03T10:00:00Z'),
      },
    );
    expect(checkCaps(history, { at: utc('2027-02-27T10:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: true,
    });
    expect(checkCaps(history, { at: utc('2027-03-02T10:00:00Z'), channel: 'sms' }, p, 'UTC')).toEqual({
      ok: true,
    });
  });

  it('chains caps until all of them hold', () => {
    // Same day → Mar 2 00:00; email gap 48h → Mar 3 10:00; Mar 3 already has an SMS → Mar 4 00:00.
    const p = policy({ perDay: 1, perRolling7Days: 10, minGapByChannel: { email: 48 * 3_600_000 } });
    const history = [touch('2027-03-01T10:00:00Z'), touch('2027-03-03T09:00:00Z', 'sms')];
    expect(checkCaps(history, { at: utc('2027-03-01T15:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: false,
      reason: 'per_day',
      nextAllowedAt: utc('2027-03-04T00:00:00Z'),
    });
  });

  it('ignores exempt channels on both sides', () => {
    const p = policy({ exemptChannels: ['ads'] });
    const history = [touch('2027-03-01T10:00:00Z', 'ads')];
    expect(checkCaps(history, { at: utc('2027-03-01T11:00:00Z'), channel: 'email' }, p, 'UTC')).toEqual({
      ok: true,
    });
    expect(
      checkCaps(
        [touch('2027-03-01T10:00:00Z')],
        { at: utc('2027-03-01T11:00:00Z'), channel: 'ads' },
        p,
        'UTC',
      ),
    ).toEqual({ ok: true });
  });
});

describe('cap policy', () => {
  it('is built from the workspace settings (gaps in hours)', () => {
    expect(
      capPolicyFromSettings({
        per_day: 2,
        per_7_days: 4,
        min_gap_hours: { sms: 1.5 },
        exempt_channels: ['ads'],
      }),
    ).toEqual({
      perDay: 2,
      perRolling7Days: 4,
      minGapByChannel: { sms: 5_400_000 },
      dayBoundary: 'contact_local',
      exemptChannels: ['ads'],
    });
  });

  it('validates with zod', () => {
    expect(capPolicySchema.safeParse({ perDay: 0, perRolling7Days: 3 }).success).toBe(false);
    expect(capPolicySchema.parse({ perDay: 1, perRolling7Days: 3 })).toEqual({
      perDay: 1,
      perRolling7Days: 3,
      minGapByChannel: {},
      dayBoundary: 'contact_local',
    });
  });
});
