// SMS rules without I/O: how a body is encoded and split into segments (GSM-7 or UCS-2), phone numbers in
// E.164, the opt-out and opt-in keywords carriers honour, and quiet hours in the recipient's zone.
import { DateTime } from 'luxon';

/**
 * The GSM 7-bit default alphabet, 3GPP TS 23.038 §6.2.1 (each character is one septet). The escape code
 * 0x1B is left out: it only introduces the extension table below.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The default alphabet extension table, 3GPP TS 23.038 §6.2.1.1: ESC + character, two septets each. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

/** Single-part and per-part capacities (3GPP TS 23.040 §9.2.3.24.1: a concatenated part carries a 6-octet header). */
export const SMS_LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

export interface SmsLength {
  encoding: 'GSM-7' | 'UCS-2';
  /** Characters as a reader counts them (Unicode code points). */
  characters: number;
  /** What the network counts: septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
  /** Characters that force UCS-2 (none when the body is GSM-7). */
  nonGsmCharacters: string[];
}

/**
 * Encoding, length and segment count of an SMS body. A part never splits an escape pair (GSM-7) or a
 * surrogate pair (UCS-2), the way handsets and Twilio split long messages.
 */
export function smsLength(body: string): SmsLength {
  const chars = [...body];
  const nonGsm = [...new Set(chars.filter((c) => !BASIC.has(c) && !EXTENSION.has(c)))];
  const encoding = nonGsm.length === 0 ? 'GSM-7' : 'UCS-2';
  const widths = chars.map((c) => (encoding === 'GSM-7' ? (EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = widths.reduce((a, b) => a + b, 0);
  const limits = SMS_LIMITS[encoding];
  let segments = units === 0 ? 0 : 1;
  if (units > limits.single) {
    segments = 1;
    let used = 0;
    for (const w of widths) {
      if (used + w > limits.part) {
        segments++;
        used = 0;
      }
      used += w;
    }
  }
  return { encoding, characters: chars.length, units, segments, nonGsmCharacters: nonGsm };
}

/**
 * A phone number in E.164 (`+` then country code and number, at most 15 digits; ITU-T E.164 §6), from the
 * usual ways people write one: spaces, dashes, dots, brackets, and the `00` international prefix. A number
 * without a country code cannot be placed and is refused with the reason.
 */
export function toE164(raw: string): { ok: true; value: string } | { ok: false; reason: string } {
  let s = raw.trim().replace(/[\s\-.()\u00a0]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  if (!s.startsWith('+')) {
    return { ok: false, reason: 'has no country code: write it in international form, e.g. +447700900123' };
  }
  if (!/^\+\d+$/.test(s)) return { ok: false, reason: 'may contain only digits after the +' };
  if (!/^\+[1-9]\d{7,14}$/.test(s)) {
    return { ok: false, reason: 'must have 8 to 15 digits after the + and not start with 0' };
  }
  return { ok: true, value: s };
}

/**
 * Replies carriers and Twilio treat as opting out of or back into messages from a number (Twilio's default
 * "Advanced Opt-Out" keywords; CTIA Messaging Principles and Best Practices §5.1). Matched on the whole
 * body, trimmed and case-insensitive, as Twilio does.
 */
export const SMS_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  'REVOKE',
];
// Only START and UNSTOP lift an opt-out (Twilio's opt-in keywords). A "YES" answers a message that asked
// for one ("Reply YES to book"): it is a reply, and opting back in after STOP takes one of these words.
export const SMS_OPT_IN_KEYWORDS = ['START', 'UNSTOP'];
export const SMS_HELP_KEYWORDS = ['HELP', 'INFO'];

export type SmsKeyword = 'opt_out' | 'opt_in' | 'help' | null;

export function smsKeyword(body: string): SmsKeyword {
  const word = body
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  if (SMS_OPT_OUT_KEYWORDS.includes(word)) return 'opt_out';
  if (SMS_OPT_IN_KEYWORDS.includes(word)) return 'opt_in';
  if (SMS_HELP_KEYWORDS.includes(word)) return 'help';
  return null;
}

export interface QuietHours {
  /** Local time quiet hours begin, HH:MM. */
  start: string;
  /** Local time they end, HH:MM (earlier than start when they run overnight). */
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/**
 * When `now` falls inside quiet hours in `zone`, the instant they end; otherwise null. Quiet hours may run
 * overnight (21:00–08:00); equal start and end means none. Local times are read in the zone, so a
 * daylight-saving change shifts the instant, not the local hour.
 */
export function quietHoursEnd(now: number, zone: string, quiet: QuietHours): number | null {
  const s = minutesOf(quiet.start);
  const e = minutesOf(quiet.end);
  if (s === e) return null;
  const local = DateTime.fromMillis(now, { zone });
  const m = local.hour * 60 + local.minute;
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  if (!inside) return null;
  const day = s > e && m >= s ? local.startOf('day').plus({ days: 1 }) : local.startOf('day');
  return day.set({ hour: Math.floor(e / 60), minute: e % 60 }).toMillis();
}
