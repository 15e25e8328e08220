import { describe, expect, it } from 'vitest';
import {
  accountCreateSchema,
  contactCreateSchema,
  mergeAttributes,
  normalizeDomain,
  normalizeEmail,
} from './contact.js';
import { zodIssues } from './errors.js';

function issuesOf(schema: typeof contactCreateSchema | typeof accountCreateSchema, raw: unknown) {
  const r = schema.safeParse(raw);
  return r.success ? [] : zodIssues(r.error.issues).map((i) => i.path);
}

describe('contact input', () => {
  it('trims an email and lower-cases only its domain (RFC 5321 §2.4: the local part is case-sensitive)', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM\t')).toBe('Ada.Lovelace@example.com');
    expect(contactCreateSchema.parse({ email: ' X@Y.Org ' }).email).toBe('X@y.org');
  });

  it('rejects a bad email, an unknown time zone and an unknown lifecycle stage, naming each field', () => {
    expect(issuesOf(contactCreateSchema, { email: 'not-an-email' })).toEqual(['email']);
    expect(issuesOf(contactCreateSchema, { email: 'a@b.co', time_zone: 'Mars/Olympus_Mons' })).toEqual([
      'time_zone',
    ]);
    expect(issuesOf(contactCreateSchema, { email: 'a@b.co', time_zone: '+02:00' })).toEqual(['time_zone']);
    expect(issuesOf(contactCreateSchema, { email: 'a@b.co', lifecycle_stage: 'whale' })).toEqual([
      'lifecycle_stage',
    ]);
    expect(issuesOf(contactCreateSchema, { email: 'a@b.co', colour: 'red' })).toEqual(['']);
    expect(issuesOf(contactCreateSchema, { first_name: 'No key' })).toEqual(['email']);
  });

  it('accepts IANA zone names, including links such as Asia/Calcutta', () => {
    for (const zone of ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Calcutta', 'UTC']) {
      expect(contactCreateSchema.parse({ email: 'a@b.co', time_zone: zone }).time_zone).toBe(zone);
    }
  });

  it('normalises an account domain from a URL and rejects what is not a domain', () => {
    expect(normalizeDomain('https://www.Acme.com/pricing?x=1')).toBe('acme.com');
    expect(accountCreateSchema.parse({ domain: 'WWW.acme.co.uk.' }).domain).toBe('acme.co.uk');
    expect(issuesOf(accountCreateSchema, { domain: 'not a domain' })).toEqual(['domain']);
    expect(issuesOf(accountCreateSchema, { name: 'No key' })).toEqual(['domain']);
  });

  it('merges attributes shallowly and drops keys set to null', () => {
    expect(mergeAttributes({ a: 1, b: { c: 2 } }, { b: { d: 3 }, a: null, e: false })).toEqual({
      b: { d: 3 },
      e: false,
    });
    expect(mergeAttributes({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
