// Segment counts worked by hand from 3GPP TS 23.038 §6.2.1 (GSM-7 alphabet) and 3GPP TS 23.040
// §9.2.3.24.1 (153 / 67 characters per part of a concatenated message); see src/domain/sms.test.ts.
import { describe, expect, it } from 'vitest';
import { campaignSchema, type CampaignInput } from '../campaign.js';
import { smsFindings } from './sms.js';

function spec(sequence: CampaignInput['sequence']) {
  return campaignSchema.parse({
    id: 'texts',
    name: 'Texts',
    objective: 'custom',
    window: { start: '2027-01-12T09:00', end: '2027-02-23T17:00', timezone: 'UTC' },
    channels: ['sms'],
    sequence,
  });
}

describe('smsFindings', () => {
  it('counts segments: 161 GSM-7 characters are two (153 per part)', () => {
    const f = smsFindings(spec([{ id: 'long', channel: 'sms', body: 'a'.repeat(161) }]));
    expect(f).toEqual([
      {
        code: 'sms_segments',
        severity: 'warning',
        path: 'sequence.0.body',
        message:
          'sms step "long" is 2 segments (161 characters, GSM-7; 160 fit in one, 153 per segment beyond): each contact costs 2 messages',
      },
    ]);
  });

  it('warns when one character forces UCS-2, naming it, and counts 71 such characters as two segments', () => {
    const body = 'Your order is ready ✅ ' + 'x'.repeat(49); // 71 characters
    const f = smsFindings(spec([{ id: 'ready', channel: 'sms', body }]));
    expect(f.map((x) => x.code)).toEqual(['sms_ucs2', 'sms_segments']);
    expect(f[0]!.message).toContain('“✅”');
    expect(f[0]!.message).toContain('70 characters per SMS instead of 160');
    expect(f[1]!.message).toContain('is 2 segments (71 characters, UCS-2');
  });

  it('leaves Liquid out of the count and says "at least"; checks each variant body', () => {
    const f = smsFindings(
      spec([
        {
          id: 'ab',
          channel: 'sms',
          body: 'short',
          variants: [
            { id: 'a', body: '{{ contact.first_name }} ' + 'b'.repeat(160) },
            { id: 'b', weight: 1 },
          ],
        },
      ]),
    );
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('sequence.0.variants.0.body');
    expect(f[0]!.message).toContain('variant "a" is at least 2 segments');
  });

  it('stays quiet on a one-segment GSM-7 body (160 characters, € counted twice) and on other channels', () => {
    expect(smsFindings(spec([{ id: 'ok', channel: 'sms', body: '€'.repeat(80) }]))).toEqual([]);
    expect(
      smsFindings({
        ...spec([]),
        channels: ['email'],
        sequence: [{ ...spec([{ id: 'e', channel: 'sms', body: '✅' }]).sequence[0]!, channel: 'email' }],
      }),
    ).toEqual([]);
  });
});
