// Contacts and accounts as Baton accepts them: zod schemas that validate and normalise input.
import { z } from 'zod';
import { isValidTimeZone } from './time-zones.js';

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'mql',
  'sql',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;
export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed', 'bounced', 'complained'] as const;

// Practical address check (local@domain.tld), not the full RFC 5322 grammar: what mail servers accept.
const EMAIL =
  /^[^\s@"<>()[\],;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Trims, lower-cases the domain (the local part is case-sensitive by RFC 5321, so it is kept). */
export function normalizeEmail(raw: string): string {
  const s = raw.trim();
  const at = s.lastIndexOf('@');
  return at < 0 ? s : s.slice(0, at) + '@' + s.slice(at + 1).toLowerCase();
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** `https://www.Acme.com/` → `acme.com`. */
export function normalizeDomain(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '')
    .replace(/\.$/, '');
}

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .transform((s) => (s === '' ? null : s))
    .nullable()
    .optional();

export const emailSchema = z
  .string()
  .transform(normalizeEmail)
  .refine(isValidEmail, { message: 'is not a valid email address' });

const zoneSpelling = new Map<string, string>();

/**
 * The zone as the IANA database spells it when only the letter case differs (`europe/berlin` →
 * `Europe/Berlin`, `utc` → `UTC`), so equal zones compare equal in segments and reports. Links such as
 * `US/Eastern` keep the name the caller chose. `zone` must already be valid.
 */
export function canonicalTimeZoneCase(zone: string): string {
  let spelled = zoneSpelling.get(zone);
  if (spelled === undefined) {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    spelled = resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
    zoneSpelling.set(zone, spelled);
  }
  return spelled;
}

export const timeZoneSchema = z
  .string()
  .trim()
  .refine(isValidTimeZone, { message: 'is not an IANA time zone name (for example Europe/Berlin)' })
  .transform(canonicalTimeZoneCase);

export const attributesSchema = z.record(z.string(), z.unknown());

export const contactInputSchema = z
  .object({
    external_id: optionalText(200),
    email: emailSchema.nullable().optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9 ().-]{5,32}$/, 'is not a phone number (digits, optionally with a leading +)')
      .nullable()
      .optional(),
    first_name: optionalText(200),
    last_name: optionalText(200),
    title: optionalText(300),
    time_zone: timeZoneSchema.nullable().optional(),
    lifecycle_stage: z.enum(LIFECYCLE_STAGES).nullable().optional(),
    account_id: optionalText(100),
    account_domain: z.string().transform(normalizeDomain).nullable().optional(),
    subscription_status: z.enum(SUBSCRIPTION_STATUSES).optional(),
    sms_consent: z.boolean().optional(),
    attributes: attributesSchema.optional(),
  })
  .strict();

export type ContactInput = z.infer<typeof contactInputSchema>;

/** A create must carry a key: an email or an external id. */
export const contactCreateSchema = contactInputSchema.refine((c) => Boolean(c.email || c.external_id), {
  message: 'needs an email or an external_id',
  path: ['email'],
});

export const accountInputSchema = z
  .object({
    external_id: optionalText(200),
    domain: z
      .string()
      .transform(normalizeDomain)
      .refine((d) => DOMAIN.test(d), { message: 'is not a domain name (for example acme.com)' })
      .nullable()
      .optional(),
    name: optionalText(300),
    industry: optionalText(200),
    size: z.number().int('must be a whole number').min(0, 'must not be negative').nullable().optional(),
    owner: optionalText(200),
    attributes: attributesSchema.optional(),
  })
  .strict();

export type AccountInput = z.infer<typeof accountInputSchema>;

export const accountCreateSchema = accountInputSchema.refine((a) => Boolean(a.domain || a.external_id), {
  message: 'needs a domain or an external_id',
  path: ['domain'],
});

/** Shallow merge of attribute objects; a key set to null in the patch is removed. */
export function mergeAttributes(
  base: Record<string, unknown>,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!patch) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export interface Contact {
  id: string;
  external_id: string | null;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  time_zone: string | null;
  lifecycle_stage: string | null;
  account_id: string | null;
  subscription_status: (typeof SUBSCRIPTION_STATUSES)[number];
  sms_consent: boolean;
  attributes: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export interface Account {
  id: string;
  external_id: string | null;
  domain: string | null;
  name: string | null;
  industry: string | null;
  size: number | null;
  owner: string | null;
  attributes: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}
