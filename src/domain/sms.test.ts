// Expected values are worked by hand from the published rules, not from running this code:
// - GSM 7-bit default alphabet and its extension table: 3GPP TS 23.038 §6.2.1 and §6.2.1.1
//   (https://www.3gpp.org/ftp/Specs/archive/23_series/23.038/). Extension characters (€ [ ] { } ^ ~ \ | and
//   form feed) take an escape plus the character: two septets.
// - Segment capacity: 160 GSM-7 characters / 70 UCS-2 characters in one message; 153 / 67 per part of a
//   concatenated message (3GPP TS 23.040 §9.2.3.24.1, the 6-octet concatenation header; Twilio,
//   https://www.twilio.com/docs/glossary/what-sms-character-limit and
//   https://www.twilio.com/docs/glossary/what-is-ucs-2-character-encoding). Twilio's segment calculator
//   (https://twiliodeved.github.io/message-segment-calculator/) never splits an escape or surrogate pair.
// - Emoji outside the BMP take two UTF-16 code units (a surrogate pair) in UCS-2.
import { describe, expect, it } from 'vitest';
import { quietHoursEnd, smsKeyword, smsLength, toE164 } from './sms.js';

describe('smsLength', () => {
  it.each([
    ['Hello', 'GSM-7', 5, 5, 1],
    ['a'.repeat(160), 'GSM-7', 160, 160, 1],
    ['a'.repeat(161), 'GSM-7', 161, 161, 2],
    ['a'.repeat(306), 'GSM-7', 306, 306, 2],
    ['a'.repeat(307), 'GSM-7', 307, 307, 3],
    // Each € is ESC + 0x65: 80 of them fill one message exactly, 81 need two.
    ['€'.repeat(80), 'GSM-7', 80, 160, 1],
    ['€'.repeat(81), 'GSM-7', 81, 162, 2],
    // 152 + 2 + 152 = 306 septets, but the escape pair cannot straddle the first boundary: 152 | 2+151 | 1.
    ['a'.repeat(152) + '€' + 'a'.repeat(152), 'GSM-7', 305, 306, 3],
    // é, Ç, Ä, ß, Δ are in the default alphabet.
    ['Café Ç Ä ß Δ', 'GSM-7', 12, 12, 1],
    ['Hello 👋', 'UCS-2', 7, 8, 1],
    ['ж'.repeat(70), 'UCS-2', 70, 70, 1],
    ['ж'.repeat(71), 'UCS-2', 71, 71, 2],
    ['ж'.repeat(134), 'UCS-2', 134, 134, 2],
    ['ж'.repeat(135), 'UCS-2', 135, 135, 3],
    // 66 + 2 + 66 code units; the surrogate pair moves whole to the second part: 66 | 2+65 | 1.
    ['a'.repeat(66) + '😀' + 'a'.repeat(66), 'UCS-2', 133, 134, 3],
    ['', 'GSM-7', 0, 0, 0],
  ])('%#: %s', (body, encoding, characters, units, segments) => {
    const r = smsLength(body);
    expect(r.encoding).toBe(encoding);
    expect(r.characters).toBe(characters);
    expect(r.units).toBe(units);
    expect(r.segments).toBe(segments);
  });

  it('names the characters that force UCS-2 (lower-case ç is not in the GSM alphabet, upper-case Ç is)', () => {
    expect(smsLength('Ça va? ça va “bien”').nonGsmCharacters).toEqual(['ç', '“', '”']);
    expect(smsLength('Ça va').nonGsmCharacters).toEqual([]);
  });
});

describe('toE164', () => {
  it.each([
    ['+44 7700 900123', '+447700900123'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['0033 6 12 34 56 78', '+33612345678'],
    ['+49.30.901820', '+4930901820'],
  ])('%s → %s', (raw, e164) => {
    expect(toE164(raw)).toEqual({ ok: true, value: e164 });
  });

  it.each([
    ['07700 900123', 'country code'],
    ['+44 7700 9001x3', 'only digits'],
    ['+0 7700 900123', '8 to 15 digits'],
    ['+1234567', '8 to 15 digits'],
    ['+1234567890123456', '8 to 15 digits'],
  ])('refuses %s (%s)', (raw, reason) => {
    const r = toE164(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('smsKeyword', () => {
  it.each([
    ['STOP', 'opt_out'],
    [' stop ', 'opt_out'],
    ['Stop.', 'opt_out'],
    ['STOPALL', 'opt_out'],
    ['unsubscribe', 'opt_out'],
    ['CANCEL', 'opt_out'],
    ['end', 'opt_out'],
    ['Quit', 'opt_out'],
    ['START', 'opt_in'],
    ['unstop', 'opt_in'],
    ['HELP', 'help'],
    // A "YES" answers a "Reply YES" message; only START and UNSTOP opt back in (Twilio's opt-in keywords).
    ['YES', null],
    ['yes!', null],
    ['please stop texting me', null],
    ['Stopping by later', null],
  ])('%j → %s', (body, kind) => {
    expect(smsKeyword(body)).toBe(kind);
  });
});

describe('quietHoursEnd', () => {
  const quiet = { start: '21:00', end: '08:00' };
  const zone = 'America/New_York';

  it('late evening: quiet until 08:00 the next local morning', () => {
    // 23:30 EST (UTC−5) on 4 January 2027 is 04:30Z on the 5th; 08:00 EST on the 5th is 13:00Z.
    expect(quietHoursEnd(Date.parse('2027-01-05T04:30:00Z'), zone, quiet)).toBe(
      Date.parse('2027-01-05T13:00:00Z'),
    );
  });

  it('early morning: quiet until 08:00 the same local day', () => {
    expect(quietHoursEnd(Date.parse('2027-01-05T12:00:00Z'), zone, quiet)).toBe(
      Date.parse('2027-01-05T13:00:00Z'),
    );
  });

  it('boundaries: 21:00 is quiet, 08:00 and 20:59 are not', () => {
    expect(quietHoursEnd(Date.parse('2027-01-05T02:00:00Z'), zone, quiet)).toBe(
      Date.parse('2027-01-05T13:00:00Z'),
    );
    expect(quietHoursEnd(Date.parse('2027-01-05T13:00:00Z'), zone, quiet)).toBeNull();
    expect(quietHoursEnd(Date.parse('2027-01-05T01:59:00Z'), zone, quiet)).toBeNull();
  });

  it('across the start of daylight saving time (US: 14 March 2027) the end is 08:00 EDT (UTC−4)', () => {
    expect(quietHoursEnd(Date.parse('2027-03-14T03:00:00Z'), zone, quiet)).toBe(
      Date.parse('2027-03-14T12:00:00Z'),
    );
  });

  it('daytime quiet hours and none at all', () => {
    expect(quietHoursEnd(Date.parse('2027-01-05T12:30:00Z'), 'UTC', { start: '12:00', end: '14:00' })).toBe(
      Date.parse('2027-01-05T14:00:00Z'),
    );
    expect(
      quietHoursEnd(Date.parse('2027-01-05T12:30:00Z'), 'UTC', { start: '00:00', end: '00:00' }),
    ).toBeNull();
  });
});
