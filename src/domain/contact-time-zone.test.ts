import { describe, expect, it } from 'vitest';
import { canonicalTimeZoneCase, contactCreateSchema, contactInputSchema } from './contact.js';

describe('contact time zones', () => {
  it('stores the IANA spelling of a zone typed in another letter case', () => {
    expect(contactCreateSchema.parse({ email: 'a@b.co', time_zone: 'europe/berlin' }).time_zone).toBe(
      'Europe/Berlin',
    );
    expect(contactInputSchema.parse({ time_zone: ' AMERICA/NEW_YORK ' }).time_zone).toBe('America/New_York');
    expect(canonicalTimeZoneCase('utc')).toBe('UTC');
    expect(canonicalTimeZoneCase('Europe/Berlin')).toBe('Europe/Berlin');
  });

  it('keeps a valid link name as given rather than swapping in another zone', () => {
    // US/Eastern is a link to America/New_York in the tz database's `backward` file.
    expect(canonicalTimeZoneCase('US/Eastern')).toBe('US/Eastern');
    expect(contactInputSchema.parse({ time_zone: 'Asia/Calcutta' }).time_zone).toBe('Asia/Calcutta');
  });

  it('still refuses what is not a zone, naming the field', () => {
    const r = contactInputSchema.safeParse({ time_zone: 'europe/atlantis' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['time_zone']);
  });
});
