import { describe, expect, it } from 'vitest';
import { computeFunnel, rate, type FunnelEvent, type FunnelInput, type FunnelTouch } from './funnel.js';

const DAY = 86_400_000;
const T0 = Date.parse('2027-01-04T09:00:00Z');

const touch = (
  id: string,
  contactId: string,
  stepId: string,
  over: Partial<FunnelTouch> = {},
): FunnelTouch => ({
  id,
  contactId,
  stepId,
  channel: 'email',
  variantId: null,
  status: 'sent',
  sentAt: T0,
  ...over,
});
const event = (
  type: string,
  contactId: string,
  touchId: string,
  over: Partial<FunnelEvent> = {},
): FunnelEvent => ({
  type,
  contactId,
  touchId,
  stepId: null,
  channel: null,
  variantId: null,
  occurredAt: T0 + 3_600_000,
  machine: false,
  ...over,
});

/**
 * Hand-counted fixture: 5 treated contacts (c1–c5, accounts A: c1 c2, B: c3, C: c4 c5) and 2 held out (h1, h2).
 * Step intro (email, variants a/b): sent to c1 (a), c2 (b), c3 (a), c4 (b); c5's touch was skipped.
 * Step call (task): sent to c1 and c2.
 * Events: intro delivered to c1 c2 c3, c4 bounced; c1 opened by a person, c2 opened by a machine only,
 * c3 clicked (no open event), c1 replied; c2 unsubscribed. Conversions: c1 one day after intro, c3 40 days
 * after intro (outside the 30-day lookback), h1 (holdout).
 */
function fixture(): FunnelInput {
  return {
    enrollments: [
      { contactId: 'c1', accountId: 'A', arm: 'treatment' },
      { contactId: 'c2', accountId: 'A', arm: 'treatment' },
      { contactId: 'c3', accountId: 'B', arm: 'treatment' },
      { contactId: 'c4', accountId: 'C', arm: 'treatment' },
      { contactId: 'c5', accountId: 'C', arm: 'treatment' },
      { contactId: 'h1', accountId: 'B', arm: 'holdout' },
      { contactId: 'h2', accountId: null, arm: 'holdout' },
    ],
    touches: [
      touch('t1', 'c1', 'intro', { variantId: 'a' }),
      touch('t2', 'c2', 'intro', { variantId: 'b' }),
      touch('t3', 'c3', 'intro', { variantId: 'a' }),
      touch('t4', 'c4', 'intro', { variantId: 'b' }),
      touch('t5', 'c5', 'intro', { variantId: 'a', status: 'skipped', sentAt: null }),
      touch('t6', 'c1', 'call', { channel: 'task', sentAt: T0 + 2 * DAY }),
      touch('t7', 'c2', 'call', { channel: 'task', sentAt: T0 + 2 * DAY }),
    ],
    events: [
      event('delivered', 'c1', 't1'),
      event('delivered', 'c2', 't2'),
      event('delivered', 'c3', 't3'),
      event('bounced', 'c4', 't4'),
      event('opened', 'c1', 't1'),
      event('opened', 'c1', 't1'),
      event('opened', 'c2', 't2', { machine: true }),
      event('clicked', 'c3', 't3'),
      event('replied', 'c1', 't1'),
      event('unsubscribed', 'c2', 't2'),
    ],
    conversions: [
      { contactId: 'c1', arm: 'treatment', occurredAt: T0 + DAY },
      { contactId: 'c3', arm: 'treatment', occurredAt: T0 + 40 * DAY },
      { contactId: 'h1', arm: 'holdout', occurredAt: T0 + DAY },
    ],
    lookbackMs: 30 * DAY,
    steps: [
      { id: 'intro', channel: 'email' },
      { id: 'call', channel: 'task' },
    ],
    accounts: true,
  };
}

describe('computeFunnel', () => {
  it('counts distinct contacts per stage for the campaign', () => {
    const f = computeFunnel(fixture());
    expect(f.campaign.counts).toEqual({
      enrolled: 5,
      touched: 4,
      delivered: 3,
      opened: 2, // c1 (person), c3 (click); c2's machine open is not an open
      clicked: 1,
      replied: 1,
      converted: 2, // the campaign counts every treated converter
      unsubscribed: 1,
      bounced: 1,
    });
    expect(f.campaign.rates.open_rate).toEqual({
      numerator: 2,
      denominator: 3,
      of: 'delivered',
      value: 2 / 3,
    });
    expect(f.campaign.rates.touch_rate.value).toBe(4 / 5);
    // The campaign's conversion rate is its recorded (touch-attributed) converters over the enrolled.
    expect(f.campaign.rates.conversion_rate).toMatchObject({ numerator: 2, denominator: 5, of: 'enrolled' });
    expect(f.campaign.rates.bounce_rate).toMatchObject({ numerator: 1, denominator: 4, of: 'touched' });
    // The holdout is not in the funnel, and h1's conversion counts nowhere in it: the report compares the arms
    // by the lift's rule (report.test.ts), not from these touch-attributed conversions.
    expect('holdout' in f).toBe(false);
  });

  it('splits by step, channel and variant, and credits a step only with conversions inside the lookback', () => {
    const f = computeFunnel(fixture());
    const intro = f.steps.find((s) => s.step === 'intro')!;
    expect(intro.counts).toMatchObject({ enrolled: 5, touched: 4, delivered: 3, opened: 2, converted: 1 });
    expect(intro.deliveredInferred).toBe(false);
    const call = f.steps.find((s) => s.step === 'call')!;
    // The task channel reports no deliveries: delivered = touched − bounced, and it says so.
    expect(call.counts).toMatchObject({ enrolled: 2, touched: 2, delivered: 2, converted: 0 });
    expect(call.deliveredInferred).toBe(true);
    expect(f.steps.map((s) => s.step)).toEqual(['intro', 'call']);
    expect(f.channels.map((c) => [c.channel, c.counts.touched])).toEqual([
      ['email', 4],
      ['task', 2],
    ]);
    const a = f.variants.find((v) => v.variant === 'a')!;
    const b = f.variants.find((v) => v.variant === 'b')!;
    expect(a.counts).toMatchObject({
      enrolled: 3,
      touched: 2,
      delivered: 2,
      opened: 2,
      clicked: 1,
      converted: 1,
    });
    expect(b.counts).toMatchObject({
      enrolled: 2,
      touched: 2,
      delivered: 1,
      opened: 0,
      bounced: 1,
      unsubscribed: 1,
    });
    expect(b.rates.click_to_open_rate).toMatchObject({ value: null, denominator: 0, of: 'opened' });
    expect(b.rates.click_to_open_rate.reason).toMatch(/opened/);
  });

  it('counts accounts engaged and converted for ABM', () => {
    const f = computeFunnel(fixture());
    // A: c1 opened/replied/converted; B: c3 clicked/converted; C: nobody engaged.
    expect(f.accounts).toMatchObject({ enrolled: 3, engaged: 2, converted: 2 });
    expect(f.accounts!.convertedRate.value).toBe(2 / 3);
    expect(computeFunnel({ ...fixture(), accounts: false }).accounts).toBeNull();
  });

  it('never divides by zero: an empty campaign has null rates with reasons', () => {
    const f = computeFunnel({ enrollments: [], touches: [], events: [], conversions: [], lookbackMs: DAY });
    for (const r of Object.values(f.campaign.rates)) {
      expect(r.value).toBeNull();
      expect(r.reason).toBeTruthy();
    }
    expect(JSON.stringify(f)).not.toContain('NaN');
    expect(rate(3, 4, 'touched').value).toBe(0.75);
  });
});
