// Customer-list identifiers for ad platforms: each platform's published normalisation, then SHA-256 hex.
// Pure functions; the ads channel hashes a contact once when it enters an audience, and exports only
// ever read the hashes.
//
// Google Ads Customer Match (hashed upload):
//   https://support.google.com/google-ads/answer/7476159 ("Formatting guidelines for uploading hashed
//   data") and the Customer Match CSV template (https://g.co/wudy8r, "Hashed Formatting Guidelines"):
//   lowercase, remove all extra spaces before, after or in between email addresses and names; phone numbers
//   in E.164 (`+` and country code) before hashing; Email, Phone, First Name and Last Name are hashed,
//   Country (ISO 3166-1 two-letter code) and Zip are sent in plain text (Display & Video 360 "Prepare user
//   data": https://developers.google.com/display-video/api/guides/tasks/upload-customer-match-audience/prepare-data).
//   Google documents removing the dots of gmail.com addresses only for enhanced conversions, not for
//   Customer Match files, so Baton does not apply it here.
// Meta custom audiences (customer file):
//   https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash and the
//   same rules with published examples in
//   https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
//   EMAIL trimmed and lowercased; PHONE digits only, no symbols, letters or leading zeros, with the country
//   code; FN/LN lowercase without punctuation, other letters kept in UTF-8 (Valéry → valéry); COUNTRY the
//   lowercase ISO 3166-1 alpha-2 code; ZIP lowercase without spaces, the first 5 digits in the US, area +
//   district + sector in the UK. Every column is hashed. Meta documents no Gmail dot or plus rule.
import { createHash } from 'node:crypto';

export interface RawIdentifiers {
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  /** ISO 3166-1 alpha-2 code (`US`, `de`); anything else is left out. */
  country: string | null;
  zip: string | null;
}

/** One row of a Google Customer Match file: hashed email/phone/names, plain country and zip. */
export interface GoogleRow {
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  country: string | null;
  zip: string | null;
}

/** One row of a Meta customer file: every value hashed. */
export interface MetaRow {
  email: string | null;
  phone: string | null;
  fn: string | null;
  ln: string | null;
  country: string | null;
  zip: string | null;
}

export interface HashedIdentifiers {
  google: GoogleRow;
  meta: MetaRow;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const hashOrNull = (v: string | null): string | null => (v === null || v === '' ? null : sha256Hex(v));

/** Google: trimmed, lowercase, no spaces anywhere (the template's "before, after or in between"). */
export function googleEmail(raw: string | null): string | null {
  const v = raw?.replace(/\s+/g, '').toLowerCase() ?? '';
  return v.includes('@') ? v : null;
}

/** Meta: leading and trailing spaces trimmed, lowercase. */
export function metaEmail(raw: string | null): string | null {
  const v = raw?.trim().toLowerCase() ?? '';
  return v.includes('@') ? v : null;
}

/**
 * The international digits of a phone number (country code first), or null when the number carries no
 * sign of one. `+…` and `00…` are international; a number without either is taken as already starting
 * with its country code, which both platforms require ("include the country code even if all of your data
 * is from the same country"). Symbols, letters and leading zeros go; E.164 allows at most 15 digits.
 */
export function phoneDigits(raw: string | null): string | null {
  if (!raw) return null;
  let s = raw.trim();
  if (s.startsWith('00')) s = s.slice(2);
  const digits = s.replace(/\D+/g, '').replace(/^0+/, '');
  return digits.length >= 7 && digits.length <= 15 ? digits : null;
}

/** Google: E.164, `+` and the digits. */
export function googlePhone(raw: string | null): string | null {
  const d = phoneDigits(raw);
  return d === null ? null : `+${d}`;
}

/** Meta: the digits with the country code, no `+`. */
export function metaPhone(raw: string | null): string | null {
  return phoneDigits(raw);
}

/** Google: lowercase, whitespace removed; accents kept (the template's own rows hold `zoë`, `pérez`). */
export function googleName(raw: string | null): string | null {
  const v = raw?.replace(/\s+/g, '').toLowerCase() ?? '';
  return v === '' ? null : v;
}

/** Meta: lowercase, no punctuation (nor spaces); letters outside a-z kept as UTF-8. */
export function metaName(raw: string | null): string | null {
  const v =
    raw
      ?.normalize('NFC')
      .toLowerCase()
      .replace(/[\p{P}\p{S}\s]+/gu, '') ?? '';
  return v === '' ? null : v;
}

/** ISO 3166-1 alpha-2, lowercase; anything else (a country name) is left out rather than guessed. */
export function countryCode(raw: string | null): string | null {
  const v = raw?.trim().toLowerCase() ?? '';
  return /^[a-z]{2}$/.test(v) ? v : null;
}

/** Google: the postal code as written, trimmed (plain text; the template keeps `WC2H 8LG`). */
export function googleZip(raw: string | null): string | null {
  const v = raw?.trim() ?? '';
  return v === '' ? null : v;
}

/**
 * Meta: lowercase without spaces; in the US the first five digits; in the UK area, district and sector
 * (the outward code and the sector digit, `SW1A 1AA` → `sw1a1`).
 */
export function metaZip(raw: string | null, country: string | null): string | null {
  const v = raw?.toLowerCase().replace(/\s+/g, '') ?? '';
  if (v === '') return null;
  if (country === 'us') {
    const m = /^(\d{5})/.exec(v);
    return m ? m[1]! : null;
  }
  if (country === 'gb') {
    const m = /^([a-z]{1,2}\d[a-z\d]?)(\d)[a-z]{2}$/.exec(v);
    return m ? `${m[1]}${m[2]}` : v;
  }
  return v;
}

/** Both platforms' rows for one person. */
export function hashIdentifiers(raw: RawIdentifiers): HashedIdentifiers {
  const country = countryCode(raw.country);
  return {
    google: {
      email: hashOrNull(googleEmail(raw.email)),
      phone: hashOrNull(googlePhone(raw.phone)),
      firstName: hashOrNull(googleName(raw.firstName)),
      lastName: hashOrNull(googleName(raw.lastName)),
      country,
      zip: googleZip(raw.zip),
    },
    meta: {
      email: hashOrNull(metaEmail(raw.email)),
      phone: hashOrNull(metaPhone(raw.phone)),
      fn: hashOrNull(metaName(raw.firstName)),
      ln: hashOrNull(metaName(raw.lastName)),
      country: hashOrNull(country),
      zip: hashOrNull(metaZip(raw.zip, country)),
    },
  };
}

export const EXPORT_FORMATS = ['google', 'meta'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Column headers: Google's template names; Meta's customer-file schema keys. */
export const HEADERS: Record<ExportFormat, readonly string[]> = {
  google: ['Email', 'Phone', 'First Name', 'Last Name', 'Country', 'Zip'],
  meta: ['EMAIL', 'PHONE', 'FN', 'LN', 'COUNTRY', 'ZIP'],
};

function csvCell(v: string | null): string {
  if (v === null) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRow(format: ExportFormat, ids: HashedIdentifiers): string {
  const cells =
    format === 'google'
      ? [
          ids.google.email,
          ids.google.phone,
          ids.google.firstName,
          ids.google.lastName,
          ids.google.country,
          ids.google.zip,
        ]
      : [ids.meta.email, ids.meta.phone, ids.meta.fn, ids.meta.ln, ids.meta.country, ids.meta.zip];
  return cells.map(csvCell).join(',');
}

/** A whole file: the header line, then one line per person, each ending in `\n` (UTF-8). */
export function csvFile(format: ExportFormat, rows: Iterable<HashedIdentifiers>): string {
  const lines = [HEADERS[format].join(',')];
  for (const r of rows) lines.push(csvRow(format, r));
  return `${lines.join('\n')}\n`;
}
